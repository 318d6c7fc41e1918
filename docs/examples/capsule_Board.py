from pulumi_stages.capsule import Board

Board("delivery", name="Delivery", description="Client projects")

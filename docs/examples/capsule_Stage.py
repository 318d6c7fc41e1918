from pulumi_stages.capsule import Board, Stage

delivery = Board("delivery", name="Delivery")
Stage("brief", name="Brief", board=delivery.name, description="Define the work", display_order=1)
Stage("review", name="Review", board="Delivery", display_order=2)  # a board name works too

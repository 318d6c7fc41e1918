from pulumi_stages.hubspot import TicketStage, TicketStageOrder

new = TicketStage("new", name="New", pipeline="Support", ticket_state="OPEN", ordered_by_set=True)
done = TicketStage(
    "done", name="Done", pipeline="Support", ticket_state="CLOSED", ordered_by_set=True
)
TicketStageOrder("support-order", sequence=["New", "Done"], stages={"New": new.id, "Done": done.id})

// A Go Pulumi program on the generated crmstages SDK: single resources and a stage set.
// The tests build it (go build) against the SDK generated from the provider's schema.
package main

import (
	"github.com/pulumi-stages/pulumi-stages/sdk/go/crmstages"
	"github.com/pulumi-stages/pulumi-stages/sdk/go/crmstages/capsule"
	"github.com/pulumi-stages/pulumi-stages/sdk/go/crmstages/hubspot"
	"github.com/pulumi-stages/pulumi-stages/sdk/go/crmstages/outreach"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		qualified, err := outreach.NewStage(ctx, "qualified", &outreach.StageArgs{
			Name:  pulumi.String("Qualified"),
			Color: pulumi.String("#2e7d32"),
		})
		if err != nil {
			return err
		}
		board, err := capsule.NewBoard(ctx, "sales", &capsule.BoardArgs{Name: pulumi.String("Sales")})
		if err != nil {
			return err
		}
		proposal, err := capsule.NewStage(ctx, "proposal", &capsule.StageArgs{
			Name:  pulumi.String("Proposal"),
			Board: board.Name,
		})
		if err != nil {
			return err
		}
		won, err := hubspot.NewDealStage(ctx, "won", &hubspot.DealStageArgs{
			Name:        pulumi.String("Won"),
			Pipeline:    pulumi.String("Sales"),
			Probability: pulumi.Float64(1),
		})
		if err != nil {
			return err
		}
		set, err := crmstages.NewStageSet(ctx, "team", &crmstages.StageSetArgs{
			Path: pulumi.String("stages.yaml"),
		})
		if err != nil {
			return err
		}
		ctx.Export("outreachStage", qualified.Name)
		ctx.Export("capsuleBoard", proposal.Board)
		ctx.Export("hubspotStage", won.ID())
		ctx.Export("stageSet", set.URN())
		return nil
	})
}

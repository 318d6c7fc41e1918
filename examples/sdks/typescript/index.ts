// A TypeScript program on the generated crmstages SDK: single resources and a stage set.
// The tests type-check it (tsc --noEmit) against the SDK generated from the provider's schema.
import * as pulumi from "@pulumi/pulumi";
import * as crmstages from "@pulumi-stages/crmstages";

const qualified = new crmstages.outreach.Stage("qualified", {
    name: "Qualified",
    color: "#2e7d32",
});

const board = new crmstages.capsule.Board("sales", { name: "Sales" });
const proposal = new crmstages.capsule.Stage("proposal", {
    name: "Proposal",
    board: board.name,
});

const won = new crmstages.hubspot.DealStage("won", {
    name: "Won",
    pipeline: "Sales",
    probability: 1,
});

const fromFile = new crmstages.StageSet("team", { path: "stages.yaml" });

export const outreachStage: pulumi.Output<string> = qualified.name;
export const capsuleBoard: pulumi.Output<string> = proposal.board;
export const hubspotStage: pulumi.Output<string> = won.id;
export const stageSet: pulumi.Output<string> = fromFile.urn;

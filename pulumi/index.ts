// prewarm on GKE: `pulumi up` with a stack whose config is shaped like
// Pulumi.example.yaml. See the README's "Deploy with Pulumi".
import { readSettings } from "./src/settings";
import { deployPrewarm } from "./src/stack";

const settings = readSettings();
const stack = deployPrewarm(settings);

export const nodePools = stack.nodePools.map((p) => p.name);
export const pools = settings.pools.map((p) => p.name);
export const claimService = "prewarm.prewarm-system.svc:8080";

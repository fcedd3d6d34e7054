// How a warm pool owns its node pool: one label and one taint, both keyed
// prewarm.dev/pool with the pool's name as value. The node pool carries them
// (GKE spelling of the effect) and the pool's warm-pod template selects and
// tolerates them (Kubernetes spelling).
export const POOL_KEY = "prewarm.dev/pool";

export function nodeLabels(pool: string): Record<string, string> {
    return { [POOL_KEY]: pool };
}

export function nodeTaint(pool: string) {
    return { key: POOL_KEY, value: pool, effect: "NO_SCHEDULE" };
}

export function podToleration(pool: string) {
    return { key: POOL_KEY, operator: "Equal", value: pool, effect: "NoSchedule" };
}

// GKE taint effects as Kubernetes spells them.
export const EFFECTS: Record<string, string> = {
    NO_SCHEDULE: "NoSchedule",
    PREFER_NO_SCHEDULE: "PreferNoSchedule",
    NO_EXECUTE: "NoExecute",
};

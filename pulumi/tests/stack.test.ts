// The stack under Pulumi's mocks, configured by the committed example stack
// (Pulumi.example.yaml): every resource the program registers is recorded
// with its inputs, and the tests assert on those inputs.
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as yaml from "js-yaml";

type Recorded = { type: string; name: string; inputs: any };
const registered: Recorded[] = [];

pulumi.runtime.setMocks({
    newResource(args: pulumi.runtime.MockResourceArgs) {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs });
        return { id: `${args.name}-id`, state: args.inputs };
    },
    call(args: pulumi.runtime.MockCallArgs) {
        if (args.token === "gcp:container/getCluster:getCluster")
            return { ...args.inputs, endpoint: "203.0.113.10", masterAuths: [{ clusterCaCertificate: "Q0E=" }] };
        return args.inputs;
    },
}, "prewarm", "example", false);

// The program renders the overlay with kubectl: the Google Cloud CLI's, the
// one on PATH, or the one built with the test control plane.
if (!process.env.PREWARM_KUBECTL) {
    const dirs = ["/usr/lib/google-cloud-sdk/bin", ...(process.env.PATH ?? "").split(":"),
        process.env.PREWARM_KUBE_BIN ?? path.join(__dirname, "..", "..", "build", "kube", "bin")];
    const found = dirs.map((d) => path.join(d, d.endsWith("google-cloud-sdk/bin") ? "kubectl.1.33" : "kubectl"))
        .find((p) => fs.existsSync(p));
    if (found) process.env.PREWARM_KUBECTL = found;
}

const stackFile = yaml.load(fs.readFileSync(path.join(__dirname, "..", "Pulumi.example.yaml"), "utf8")) as any;
const stackPools = stackFile.config["prewarm:pools"] as any[];
// The example keeps its secrets out of the file; the test supplies them.
const testSecrets = { "prewarm:connectKey": "c".repeat(64), "prewarm:apiTokens": `${"t".repeat(32)} api-server claim,read\n` };
pulumi.runtime.setAllConfig({
    ...Object.fromEntries(Object.entries(stackFile.config).map(
        ([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])),
    ...testSecrets,
}, Object.keys(testSecrets));

function resolved<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => o.apply((v) => { resolve(v); return v; }));
}

// A secret input reaches the mocks wrapped with Pulumi's secret signature.
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
function secretValue(v: any): any {
    assert.ok(v && typeof v === "object" && SECRET_SIG in v, `${JSON.stringify(v)} is not marked secret`);
    return v.value;
}

function ofType(type: string): Recorded[] {
    return registered.filter((r) => r.type === type);
}

function k8s(kind: string): Recorded[] {
    return registered.filter((r) => r.type.startsWith("kubernetes:") && r.inputs.kind === kind);
}

function configMap(): any {
    const cms = k8s("ConfigMap").filter((c) => c.inputs.metadata.name.startsWith("prewarm-config-"));
    assert.equal(cms.length, 1);
    return cms[0].inputs;
}

before(async () => {
    const { deployPrewarm } = await import("../src/stack");
    const { readSettings } = await import("../src/settings");
    const stack = deployPrewarm(readSettings());
    const children = await resolved(stack.workloads.resources);
    await Promise.all([...Object.values(children), ...stack.nodePools].map((r) => resolved(r.urn)));
});

describe("GKE node pools", () => {
    it("one dedicated, autoscaled node pool per stack pool, Spot where the stack asks", () => {
        const pools = ofType("gcp:container/nodePool:NodePool");
        assert.deepEqual(pools.map((p) => p.inputs.name), stackPools.map((p) => `prewarm-${p.name}`));
        for (const [i, p] of pools.entries()) {
            const want = stackPools[i];
            assert.equal(p.inputs.cluster, stackFile.config["prewarm:cluster"]);
            assert.equal(p.inputs.location, stackFile.config["prewarm:location"]);
            assert.equal(p.inputs.autoscaling.minNodeCount, want.minNodes);
            assert.equal(p.inputs.autoscaling.maxNodeCount, want.maxNodes);
            assert.equal(p.inputs.nodeConfig.spot, want.spot ?? false);
            assert.equal(p.inputs.nodeConfig.machineType, want.machineType);
            assert.equal(p.inputs.nodeConfig.workloadMetadataConfig.mode, "GKE_METADATA");
        }
    });

    it("node-pool taints and labels match each warm-pod template's tolerations and selector", async () => {
        const { EFFECTS } = await import("../src/dedication");
        const cm = configMap();
        for (const np of ofType("gcp:container/nodePool:NodePool")) {
            const pool = np.inputs.nodeConfig.labels["prewarm.dev/pool"];
            const template = yaml.load(cm.data[`warm-pod-${pool}.yaml`]) as any;
            assert.ok(template, `a template for pool ${pool}`);
            assert.deepEqual(template.spec.nodeSelector, np.inputs.nodeConfig.labels);
            for (const taint of np.inputs.nodeConfig.taints) {
                const tolerated = template.spec.tolerations.some((t: any) => t.key === taint.key &&
                    t.value === taint.value && t.operator === "Equal" && t.effect === EFFECTS[taint.effect]);
                assert.ok(tolerated, `pool ${pool} tolerates ${taint.key}=${taint.value}:${taint.effect}`);
            }
            // No other pool's pods tolerate this pool's taint.
            for (const other of stackPools.filter((p) => p.name !== pool)) {
                const t = yaml.load(cm.data[`warm-pod-${other.name}.yaml`]) as any;
                assert.ok(!t.spec.tolerations.some((x: any) => x.value === pool));
            }
        }
    });
});

describe("prewarm on the cluster, from charts-free-manifests/", () => {
    it("RBAC is least privilege: two namespaced Roles, exact verbs, bound to prewarm's account", () => {
        assert.equal(k8s("ClusterRole").length + k8s("ClusterRoleBinding").length, 0);
        const roles = Object.fromEntries(k8s("Role").map((r) => [r.inputs.metadata.name, r.inputs]));
        assert.deepEqual(Object.keys(roles).sort(), ["prewarm-leader-election", "prewarm-pods"]);
        assert.deepEqual(roles["prewarm-pods"].rules,
            [{ apiGroups: [""], resources: ["pods"], verbs: ["create", "list", "watch", "patch", "delete"] }]);
        assert.equal(roles["prewarm-pods"].metadata.namespace, "prewarm-sessions");
        assert.deepEqual(roles["prewarm-leader-election"].rules,
            [{ apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "update"] }]);
        for (const rule of Object.values(roles).flatMap((r: any) => r.rules))
            for (const field of [rule.apiGroups, rule.resources, rule.verbs]) assert.ok(!field.includes("*"));
        for (const rb of k8s("RoleBinding"))
            assert.deepEqual(rb.inputs.subjects, [{ kind: "ServiceAccount", name: "prewarm", namespace: "prewarm-system" }]);
    });

    it("two replicas with leader-aware readiness, liveness and the stack's image", () => {
        const [d] = k8s("Deployment");
        const c = d.inputs.spec.template.spec.containers[0];
        assert.equal(d.inputs.spec.replicas, 2);
        assert.equal(c.readinessProbe.httpGet.path, "/readyz");
        assert.equal(c.livenessProbe.httpGet.path, "/healthz");
        assert.equal(c.image, stackFile.config["prewarm:image"]);
        assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    });

    it("the ConfigMap holds the stack's pools and the Deployment mounts that ConfigMap", () => {
        const cm = configMap();
        const cfg = yaml.load(cm.data["prewarm.yaml"]) as any;
        assert.deepEqual(cfg.pools.map((p: any) => p.name), stackPools.map((p) => p.name));
        for (const [i, p] of cfg.pools.entries()) {
            assert.equal(p.provider, "kubernetes");
            assert.equal(p.min_idle, stackPools[i].minIdle);
            assert.equal(p.max_idle, stackPools[i].maxIdle);
            assert.equal(p.max_total, stackPools[i].maxTotal);
            assert.ok(cm.data[p.kubernetes.template], `${p.kubernetes.template} is in the ConfigMap`);
        }
        const notebook = yaml.load(cm.data["warm-pod-notebook.yaml"]) as any;
        assert.equal(notebook.spec.containers[0].image, stackPools[1].image);
        assert.equal(notebook.spec.containers[0].resources.limits.memory, stackPools[1].memory);
        const [d] = k8s("Deployment");
        const vol = d.inputs.spec.template.spec.volumes.find((v: any) => v.name === "config");
        assert.equal(vol.configMap.name, cm.metadata.name);
        assert.match(cm.metadata.name, /^prewarm-config-[0-9a-f]{10}$/);
    });
});

describe("credentials", () => {
    it("one connect key in prewarmd's Secret and the warm pods' Secret, from the stack's secret config", () => {
        const secrets = Object.fromEntries(k8s("Secret").map((r) => [r.inputs.metadata.name, r.inputs]));
        assert.equal(secrets["prewarm-secrets"].metadata.namespace, "prewarm-system");
        assert.equal(secrets["prewarm-connect-key"].metadata.namespace, "prewarm-sessions");
        const own = secretValue(secrets["prewarm-secrets"].stringData) as any;
        const pods = secretValue(secrets["prewarm-connect-key"].stringData) as any;
        assert.equal(own["connect-key"], testSecrets["prewarm:connectKey"]);
        assert.equal(pods["connect-key"], testSecrets["prewarm:connectKey"]);
        assert.equal(own.tokens, testSecrets["prewarm:apiTokens"]);
        const cfg = yaml.load(configMap().data["prewarm.yaml"]) as any;
        for (const p of cfg.pools) assert.equal(p.kubernetes.connect_key_secret, "prewarm-connect-key");
    });
});

describe("the generated configuration", () => {
    it("prewarmd --check accepts the stack's ConfigMap as mounted", () => {
        const prewarmd = process.env.PREWARMD ?? path.join(__dirname, "..", "..", "build", "src", "prewarmd");
        assert.ok(fs.existsSync(prewarmd), `no prewarmd at ${prewarmd} (set PREWARMD)`);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "prewarm-pulumi-"));
        try {
            // As the Deployment mounts them: config/ and secrets/.
            fs.mkdirSync(path.join(dir, "config"));
            fs.mkdirSync(path.join(dir, "secrets"));
            for (const [k, v] of Object.entries(configMap().data)) fs.writeFileSync(path.join(dir, "config", k), v as string);
            const secret = k8s("Secret").find((r) => r.inputs.metadata.name === "prewarm-secrets")!.inputs;
            for (const [k, v] of Object.entries(secretValue(secret.stringData)))
                fs.writeFileSync(path.join(dir, "secrets", k), v as string);
            const r = spawnSync(prewarmd, ["--config", path.join(dir, "config", "prewarm.yaml"), "--check"],
                { encoding: "utf8" });
            assert.equal(r.status, 0, r.stderr);
            assert.match(r.stdout, /valid: .* 2 pools: editor \(kubernetes\) notebook \(kubernetes\)/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("stack settings", () => {
    it("a wrong pool setting is refused with the setting's name", async () => {
        const { checkPools } = await import("../src/settings");
        const ok = { name: "editor", minNodes: 1, maxNodes: 3, minIdle: 1, maxIdle: 2, maxTotal: 5 };
        assert.equal(checkPools([ok])[0].machineType, "e2-standard-4");
        assert.throws(() => checkPools([{ ...ok, maxNodes: 0 }]), /prewarm:pools\[0\]\.maxNodes: must be an integer >= 1/);
        assert.throws(() => checkPools([{ ...ok, minNodes: 4 }]), /pools\[0\]\.maxNodes: must be >= minNodes/);
        assert.throws(() => checkPools([{ ...ok, name: "Editor" }]), /pools\[0\]\.name: must match/);
        assert.throws(() => checkPools([ok, ok]), /"editor" is listed twice/);
        assert.throws(() => checkPools([{ ...ok, maxNode: 3 }]), /pools\[0\]\.maxNode: unknown setting/);
        assert.throws(() => checkPools([]), /must be a non-empty list/);
    });
});

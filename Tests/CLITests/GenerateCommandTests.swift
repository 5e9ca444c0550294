import Foundation
import KubereachCLI
import Testing

/// `generate` and `simulate` from the command line: exit codes, what goes where, files written.
@Suite struct GenerateCommandTests {
  static let manifests = """
    apiVersion: v1
    kind: Namespace
    metadata: {name: shop}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: api, namespace: shop, labels: {app: api}}
    spec:
      containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: web, namespace: shop, labels: {app: web}}
    spec:
      containers: [{name: c}]
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: agent, namespace: shop, labels: {app: agent}}
    spec:
      hostNetwork: true
      containers: [{name: c}]
    """

  static func setUp(flows: String) throws -> (manifests: String, flows: String, dir: String) {
    let m = try ExitCodeTests.write(manifests, name: "cluster.yaml")
    let dir = (m as NSString).deletingLastPathComponent
    let f = dir + "/flows.csv"
    try flows.write(toFile: f, atomically: true, encoding: .utf8)
    return (m, f, dir)
  }

  @Test func fromFlowsWritesVerifiedPoliciesAndListsWhatIsNotAdmissible() throws {
    let (m, f, dir) = try Self.setUp(
      flows: "shop/web,shop/api,TCP,8080,5\nshop/agent,shop/api,TCP,8080\nshop/ghost,shop/api,TCP,1\n")
    let out = dir + "/policies.yaml"
    let r = ExitCodeTests.run(["generate", "from-flows", m, "--flows", f, "--default-deny", "--output-file", out])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.isEmpty)
    #expect(r.stderr.contains("flows.csv:3:1: warning: flow shop/ghost -> shop/api TCP/1 not used"))
    #expect(r.stderr.contains("verify: not admissible shop/agent -> shop/api TCP/8080"))
    #expect(r.stderr.contains("1 of 1 admissible flows allowed; 1 not admissible"))
    #expect(r.stderr.contains("least-privilege gap: 0 workload pairs"))
    let written = try String(contentsOfFile: out, encoding: .utf8)
    #expect(written.contains("name: allow-ingress-to-api"))
    #expect(written.contains("port: http"))
    #expect(written.contains("kubereach.io/observed-count: \"5\""))
    // Replaying the flows against what was written: the admissible flow passes, the
    // hostNetwork one too (the engine treats it as a pod), so nothing breaks.
    let sim = ExitCodeTests.run(["simulate", m, "--flows", f, "--with", out])
    #expect(sim.status == 0, "\(sim.stdout)\(sim.stderr)")
    #expect(sim.stdout.contains("ALLOWED shop/web -> shop/api TCP/8080"))
  }

  @Test func simulateExitsOneWhenAFlowBreaksAndTwoOnBadInput() throws {
    let (m, f, dir) = try Self.setUp(flows: "shop/web,shop/api,TCP,8080\n")
    let deny = dir + "/deny.yaml"
    let d = ExitCodeTests.run(["generate", "default-deny", m, "--output-file", deny])
    #expect(d.status == 0, "\(d.stderr)")
    let broken = ExitCodeTests.run(["simulate", m, "--flows", f, "--with", deny, "-o", "json"])
    #expect(broken.status == 1)
    #expect(broken.stdout.contains("\"allowed\": false"))
    #expect(
      broken.stdout.contains(
        "\"broken\": [{\"source\": \"shop/web\", \"destination\": \"shop/api\", \"protocol\": \"TCP\", \"port\": 8080}]"
      ))
    let missing = ExitCodeTests.run(["simulate", m, "--flows", dir + "/nope.jsonl"])
    #expect(missing.status == 2)
    #expect(missing.stderr.contains("cannot read flow file"))
    let odd = dir + "/odd.txt"
    try "hello\n".write(toFile: odd, atomically: true, encoding: .utf8)
    let undetectable = ExitCodeTests.run(["generate", "from-flows", m, "--flows", odd])
    #expect(undetectable.status == 2)
    #expect(undetectable.stderr.contains("give --flow-format"))
    let badFormat = ExitCodeTests.run(["generate", "from-flows", m, "--flows", f, "--flow-format", "pcap"])
    #expect(badFormat.status == 2)
  }

  @Test func helpOfNestedSubcommands() {
    let help = ExitCodeTests.run(["generate", "from-flows", "--help"])
    #expect(help.status == 0)
    #expect(help.stdout.contains("USAGE: kubereach generate from-flows"))
    #expect(help.stdout.contains("--flow-format"))
    let group = ExitCodeTests.run(["generate"])
    #expect(group.status == 0)
    #expect(group.stdout.contains("default-deny") && group.stdout.contains("from-flows"))
  }
}

import Foundation
import KubeModel
import Manifests
import Synthesis
import Testing

@testable import KubereachCLI

/// Properties of whole runs over random clusters: the order of files and documents never shows
/// in the output, and no secret ever does.
@Suite struct InvariantTests {
  /// The documents of a cluster's manifests.
  static func documents(_ cluster: Cluster) -> [String] {
    ManifestWriter.yaml(for: cluster).components(separatedBy: "\n---\n")
      .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
      .filter { !$0.isEmpty && $0 != "---" }
      .map { $0.hasPrefix("---\n") ? String($0.dropFirst(4)) : $0 }
  }

  /// Writes the documents, shuffled, into 1-4 files of shuffled names; returns the folder.
  static func writeShuffled(_ documents: [String], _ rng: inout SplitMix64) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kubereach-order-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    var docs = documents
    docs.shuffle(using: &rng)
    let fileCount = rng.inRange(1...4)
    var files = [[String]](repeating: [], count: fileCount)
    for doc in docs { files[rng.below(fileCount)].append(doc) }
    var names = (0..<fileCount).map { "part-\($0).yaml" }
    names.shuffle(using: &rng)
    for (i, contents) in files.enumerated() {
      try (contents.map { "---\n" + $0 + "\n" }.joined()).write(
        to: dir.appendingPathComponent(names[i]), atomically: true, encoding: .utf8)
    }
    return dir.path
  }

  /// The random cluster with distinct admin policy priorities (in the same order), which the
  /// loader requires.
  static func loadable(_ cluster: Cluster) -> Cluster {
    var result = cluster
    let order = result.adminNetworkPolicies.indices.sorted {
      (result.adminNetworkPolicies[$0].priority, $0) < (result.adminNetworkPolicies[$1].priority, $1)
    }
    for (rank, index) in order.enumerated() { result.adminNetworkPolicies[index].priority = rank * 10 }
    return result
  }

  static func run(_ arguments: [String]) -> String {
    let result = ExitCodeTests.run(arguments)
    return "status \(result.status)\n\(result.stdout)" + (result.status == 0 ? "" : result.stderr)
  }

  /// Every command and format, on the same input; the locations in diagnostics and explanations
  /// differ between layouts, so the comparison covers standard output.
  static func outputs(_ dir: String, other: String, pods: [String]) -> [String] {
    var result: [String] = []
    for format in ["txt", "json", "csv", "md", "dot"] {
      result.append(run(["analyze", dir, "-o", format, "--granularity", "pod"]))
      result.append(run(["analyze", dir, "-o", format, "--granularity", "pod", "--exposure"]))
      result.append(run(["diff", other, dir, "-o", format]))
    }
    if pods.count >= 2 {
      let explained = run(["explain", pods[0], pods[1], dir])
      // Rule locations name files and lines, which a layout changes; the verdicts may not.
      result.append(explained.split(separator: "\n").filter { !$0.contains(".yaml:") }.joined(separator: "\n"))
    }
    return result
  }

  /// Our JSON Lines flow file derived from the cluster: one flow per pod pair that `analyze`
  /// (at pod granularity) reports allowed, on the first port of its connections (TCP 80 for "All
  /// Connections"), plus one flow per pair it reports nothing for, so that `simulate` has denials.
  static func flows(_ dir: String, pods: [String]) throws -> String {
    let json = ExitCodeTests.run(["analyze", dir, "-o", "json", "--granularity", "pod"]).stdout
    let rows = (try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: String]]) ?? []
    func endpoint(_ s: String) -> String? {
      guard s.hasSuffix("[Pod]") else { return nil }
      return String(s.dropLast(5))
    }
    var lines: [String] = []
    var allowed: Set<String> = []
    for row in rows {
      guard let src = row["src"].flatMap(endpoint), let dst = row["dst"].flatMap(endpoint), let conn = row["conn"]
      else { continue }
      var proto = "TCP"
      var port = 80
      if conn != "All Connections" {
        let parts = conn.split(separator: ",")[0].split(separator: " ")
        guard parts.count == 2, let low = Int(parts[1].split(separator: "-")[0]) else { continue }
        proto = String(parts[0])
        port = low
      }
      allowed.insert("\(src) \(dst)")
      lines.append(
        #"{"source": "\#(src)", "destination": "\#(dst)", "protocol": "\#(proto)", "port": \#(port), "count": 1}"#)
    }
    for src in pods {
      for dst in pods where src != dst && !allowed.contains("\(src) \(dst)") {
        lines.append(#"{"source": "\#(src)", "destination": "\#(dst)", "protocol": "TCP", "port": 443}"#)
        break
      }
    }
    let file = FileManager.default.temporaryDirectory.appendingPathComponent(
      "kubereach-flows-\(UUID().uuidString).jsonl")
    try (lines.map { $0 + "\n" }.joined()).write(to: file, atomically: true, encoding: .utf8)
    return file.path
  }

  /// The output with the layout's own names removed: a location names its file and line, which a
  /// layout changes by construction; everything else (including the order of findings) may not.
  static func withoutLocations(_ text: String, dir: String) -> String {
    var result = text.replacingOccurrences(of: dir, with: "DIR")
    let patterns: [(String, String)] = [
      (#"DIR/part-[0-9]+\.yaml(:[0-9]+)?(:[0-9]+)?"#, "FILE"),
      (#"part-[0-9]+\.yaml(:[0-9]+)?(:[0-9]+)?"#, "FILE"),
      (#""(line|column|startLine|startColumn|endLine|endColumn)"( ?): ?[0-9]+"#, #""$1": 0"#),
      (#"(line|column)="[0-9]+""#, #"$1="0""#),
    ]
    for (pattern, template) in patterns {
      result = result.replacingOccurrences(of: pattern, with: template, options: .regularExpression)
    }
    return result
  }

  /// `check`, `generate`, `render` and `simulate` on the same input.
  static func moreOutputs(_ dir: String, flows: String) -> [String] {
    var runs: [[String]] = []
    for format in ["txt", "json", "sarif", "junit"] {
      runs.append(["check", dir, "-o", format, "--fail-on", "never"])
    }
    runs.append(["generate", "default-deny", dir, "-o", "yaml"])
    runs.append(["render", dir, "-o", "dot"])
    runs.append(["simulate", dir, "--flows", flows])
    runs.append(["simulate", dir, "--flows", flows, "-o", "json"])
    runs.append(["generate", "from-flows", dir, "--flows", flows, "-o", "yaml"])
    runs.append(["generate", "from-flows", dir, "--flows", flows, "--default-deny", "-o", "yaml"])
    return runs.map { arguments in
      let result = ExitCodeTests.run(arguments)
      return "\(arguments.filter { $0 != dir }.joined(separator: " ")) status \(result.status)\n"
        + withoutLocations(result.stdout, dir: dir)
    }
  }

  @Test func checkGenerateRenderAndSimulateDoNotDependOnOrder() throws {
    var compared = 0
    var flowCount = 0
    for seed in UInt64(1)...8 {
      let cluster = Self.loadable(RandomCluster.generate(seed: seed, maxPods: 6, maxPolicies: 5))
      let docs = Self.documents(cluster)
      var rng = SplitMix64(seed: seed)
      let first = try Self.writeShuffled(docs, &rng)
      let flows = try Self.flows(first, pods: cluster.pods.map { "\($0.namespace)/\($0.name)" })
      flowCount += try String(contentsOfFile: flows, encoding: .utf8).split(separator: "\n").count
      let reference = Self.moreOutputs(first, flows: flows)
      for output in reference where !output.contains("status 0") && !output.contains("status 1") {
        Issue.record("seed \(seed): \(output.prefix(300))")
      }
      for _ in 0..<2 {
        let layout = try Self.writeShuffled(docs, &rng)
        let outputs = Self.moreOutputs(layout, flows: flows)
        for (a, b) in zip(reference, outputs) where a != b {
          Issue.record("seed \(seed): output depends on the layout:\n\(a.prefix(1500))\n---\n\(b.prefix(1500))")
        }
        compared += 1
      }
    }
    #expect(compared == 16)
    #expect(flowCount > 8)
  }

  @Test func fileAndDocumentOrderNeverShowInTheOutput() throws {
    var compared = 0
    for seed in UInt64(1)...12 {
      let cluster = Self.loadable(RandomCluster.generate(seed: seed, maxPods: 6, maxPolicies: 5))
      let other = Self.loadable(RandomCluster.generate(seed: seed &+ 500, maxPods: 6, maxPolicies: 5))
      let docs = Self.documents(cluster)
      var rng = SplitMix64(seed: seed)
      let otherDir = try Self.writeShuffled(Self.documents(other), &rng)
      let pods = cluster.pods.map { "\($0.namespace)/\($0.name)" }
      let first = try Self.writeShuffled(docs, &rng)
      let reference = Self.outputs(first, other: otherDir, pods: pods)
      guard reference.first?.hasPrefix("status 0") == true else {
        Issue.record("seed \(seed): \(reference.first ?? "")")
        continue
      }
      for _ in 0..<2 {
        let layout = try Self.writeShuffled(docs, &rng)
        let outputs = Self.outputs(layout, other: otherDir, pods: pods)
        for (a, b) in zip(reference, outputs) where a != b {
          Issue.record("seed \(seed): output depends on the layout:\n\(a.prefix(400))\n---\n\(b.prefix(400))")
          break
        }
        compared += 1
      }
    }
    #expect(compared == 24)
  }

  static let secrets = [
    "hunter2-SECRET-VALUE", "c2VjcmV0LWJhc2U2NA==", "ENV-VALUE-do-not-print", "literal-env-in-list",
    "annotated-token-xyz",
  ]

  static let secretInput = """
    apiVersion: v1
    kind: Secret
    metadata: {name: db, namespace: shop, annotations: {token: annotated-token-xyz}}
    type: Opaque
    data: {password: c2VjcmV0LWJhc2U2NA==}
    stringData: {password: hunter2-SECRET-VALUE, password: hunter2-SECRET-VALUE}
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: api, namespace: shop}
    spec:
      selector: {matchLabels: {app: api}}
      template:
        metadata: {labels: {app: api}}
        spec:
          containers:
          - name: api
            env:
            - {name: DB_PASSWORD, value: ENV-VALUE-do-not-print}
            - {name: OTHER, value: ENV-VALUE-do-not-print, value: literal-env-in-list}
            args: ["--password=hunter2-SECRET-VALUE"]
            ports: [{containerPort: 8080, name: http, secretport: 1}]
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: job, namespace: shop, labels: {app: job}}
    spec:
      containers:
      - name: c
        env: [{name: A, valueFrom: {secretKeyRef: {name: db, key: password}}}, {name: B, value: literal-env-in-list}]
        command: [sh, -c, "echo hunter2-SECRET-VALUE"]
    ---
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: api, namespace: shop}
    spec:
      podSelector: {matchLabels: {app: api}}
      ingress: [{from: [{podSelector: {matchLabels: {app: job}}}]}]

    """

  @Test func noSecretOrEnvironmentValueEverAppears() throws {
    let clean = try ExitCodeTests.write(Self.secretInput)
    let broken = try ExitCodeTests.write(
      Self.secretInput
        + "---\napiVersion: v1\nkind: Pod\nmetadata: {name: bad, namespace: shop}\nspec:\n  containers:\n  - name: c\n    env: {DB_PASSWORD: ENV-VALUE-do-not-print}\n    envFrom: hunter2-SECRET-VALUE\n"
        + "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x, namespace: shop}\nspec: {podSelector: {}, egress: [{to: [{ipBlock: {cidr: nope}}]}]}\n",
      name: "broken.yaml")
    var runs: [[String]] = []
    for path in [clean, broken] {
      for format in ["txt", "json", "csv", "md", "dot"] {
        runs.append(["analyze", path, "-o", format, "--exposure", "--verbose", "--stats"])
        runs.append(["diff", path, clean, "-o", format])
      }
      runs.append(["analyze", path, "--explain", "--lenient"])
      runs.append(["explain", "shop/job", "shop/api", path])
    }
    for arguments in runs {
      let result = ExitCodeTests.run(arguments)
      for secret in Self.secrets {
        #expect(!result.stdout.contains(secret), "\(arguments): stdout shows \(secret)")
        #expect(!result.stderr.contains(secret), "\(arguments): stderr shows \(secret)")
      }
    }
  }
}

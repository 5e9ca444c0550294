import Foundation
import KubeModel
import Manifests
import Synthesis
import Testing

@testable import PolicyGen

/// Every generated document validates against the Kubernetes schemas with PyPI's
/// `kubernetes-validate` (bundled schemas, no network), installed into `.venv` by
/// `scripts/setup.sh`.
@Suite struct SchemaValidationTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  /// Runs kubernetes-validate --strict on the files; returns its exit status and output.
  static func validate(_ files: [String]) throws -> (Int32, String) {
    let tool = root.appendingPathComponent(".venv/bin/kubernetes-validate").path
    guard FileManager.default.isExecutableFile(atPath: tool) else {
      Issue.record("kubernetes-validate is missing: run scripts/setup.sh (it creates .venv)")
      return (-1, "")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = ["--strict", "--quiet"] + files
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self))
  }

  static func documents() -> [(String, [UInt8])] {
    var out: [(String, [UInt8])] = []
    let shop = ManifestLoader.load(paths: [root.appendingPathComponent("Scenarios/shop-flows/manifests").path]).cluster
    let read = try! FlowReader.read(
      .path(root.appendingPathComponent("Scenarios/shop-flows/flows/observed.jsonl").path))
    let flows = FlowResolver(cluster: shop).resolve(read.flows).flows
    let generated = PolicyGenerator.fromFlows(cluster: shop, flows: flows, defaultDeny: true, allowDNS: true)
    out.append(("shop.yaml", generated.render(.yaml)))
    out.append(("shop.json", generated.render(.json)))
    out.append(("deny.yaml", PolicyGenerator.defaultDeny(cluster: shop, allowDNS: true).render(.yaml)))
    for seed in UInt64(1)...20 {
      let cluster = RandomCluster.generate(seed: seed, maxPods: 7, maxPolicies: 5)
      let flows = GeneratorPropertyTests.randomFlows(cluster, seed: seed)
      out.append(
        (
          "random-\(seed).yaml",
          PolicyGenerator.fromFlows(cluster: cluster, flows: flows, defaultDeny: seed % 2 == 0, allowDNS: true).render(
            .yaml)
        ))
    }
    return out
  }

  @Test func everyGeneratedDocumentValidates() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kubereach-validate-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    var files: [String] = []
    for (name, bytes) in Self.documents() {
      let url = dir.appendingPathComponent(name)
      try Data(bytes).write(to: url)
      files.append(url.path)
    }
    // A control the validator must reject, so this test can fail.
    let bad = dir.appendingPathComponent("control-bad.yaml")
    try Data(
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x, namespace: y}\nspec:\n  podSelector: {}\n  ingres: []\n"
        .utf8
    ).write(to: bad)
    let (badStatus, badOutput) = try Self.validate([bad.path])
    #expect(badStatus != 0, "the validator accepted a broken document: \(badOutput)")
    let (status, output) = try Self.validate(files)
    #expect(status == 0, "kubernetes-validate: \(output)")
  }
}

import Foundation
import KubeModel
import Manifests
import Testing

@testable import PolicyGen

/// `--emit-istio`: AuthorizationPolicies by service-account principal and STRICT
/// PeerAuthentications, verified by the mesh stage and valid against Istio's CRD schemas.
@Suite struct IstioEmissionTests {
  static let manifests = """
    apiVersion: v1
    kind: Namespace
    metadata: {name: app, labels: {istio-injection: enabled}}
    ---
    apiVersion: v1
    kind: Namespace
    metadata: {name: core, labels: {istio-injection: enabled}}
    ---
    apiVersion: v1
    kind: Namespace
    metadata: {name: legacy}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: client, namespace: app, labels: {app: client}}
    spec: {serviceAccountName: client, containers: [{name: c}]}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: worker, namespace: app, labels: {app: worker}}
    spec: {serviceAccountName: worker, containers: [{name: c, ports: [{containerPort: 7000}]}]}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: server, namespace: app, labels: {app: server}}
    spec: {serviceAccountName: server, containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: db, namespace: core, labels: {app: db}}
    spec: {serviceAccountName: db, containers: [{name: c, ports: [{containerPort: 5432}]}]}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: old-client, namespace: legacy, labels: {app: old-client}}
    spec: {containers: [{name: c}]}
    """

  static let flowText = """
    app/client,app/server,TCP,8080
    app/worker,app/server,TCP,8080
    legacy/old-client,app/worker,TCP,7000
    app/server,core/db,TCP,5432
    """

  static func generate() -> (Cluster, [ResolvedFlow], GenerationResult) {
    let cluster = ManifestLoader.load(yaml: manifests, file: "mesh.yaml").cluster
    let read = try! FlowReader.read(.bytes(Array(flowText.utf8), name: "flows.csv"), format: .ours)
    let flows = FlowResolver(cluster: cluster).resolve(read.flows).flows
    let result = PolicyGenerator.fromFlows(
      cluster: cluster, flows: flows, defaultDeny: true, allowDNS: false, emitIstio: true)
    return (cluster, flows, result)
  }

  @Test func principalsPortsAndStrictNamespaces() throws {
    let (cluster, flows, result) = Self.generate()
    #expect(
      result.meshObjects.map { "\($0.kind) \($0.namespace)/\($0.name)" } == [
        "AuthorizationPolicy app/allow-to-server", "AuthorizationPolicy core/allow-to-db",
        "PeerAuthentication core/default",
      ])
    #expect(result.diagnostics.map(\.code.rawValue) == ["istio-not-emitted", "istio-not-emitted"])
    #expect(
      result.diagnostics.map(\.message) == [
        "--emit-istio: no STRICT PeerAuthentication for namespace app: its client legacy/old-client is not in the mesh",
        "--emit-istio: no AuthorizationPolicy for app/worker[Pod]: legacy/old-client is not in the mesh, so it has no identity to allow; its NetworkPolicy still applies",
      ])
    let read = ManifestLoader.load(bytes: result.render(.yaml), file: "generated.yaml").cluster
    let server = try #require(read.authorizationPolicies.first { $0.name == "allow-to-server" })
    #expect(server.action == .allow)
    #expect(server.selector == ["app": "server"])
    #expect(
      server.rules?.map { $0.from.first?.principals ?? [] } == [
        ["cluster.local/ns/app/sa/client"], ["cluster.local/ns/app/sa/worker"],
      ])
    #expect(server.rules?.map { $0.to.first?.ports ?? [] } == [["8080"], ["8080"]])
    #expect(read.peerAuthentications.map(\.mode) == [.strict])
    // The mesh stage agrees: every flow still gets through with the Istio objects in place.
    let report = PolicyVerifier.verify(
      bytes: result.render(.yaml), cluster: cluster, flows: flows,
      baseline: Set(result.policies.filter(\.role.isBaseline).map(\.key)), defaultDeny: true)
    #expect(report.passed, "\(report.lines(in: cluster))")
    #expect(report.meshObjectsRead == 3)
    #expect(report.checked == 4 && report.notAdmissible.isEmpty)
  }

  @Test func verificationCatchesIstioObjectsThatDenyAFlow() throws {
    let (cluster, flows, result) = Self.generate()
    // Drop the worker's rule from the server's AuthorizationPolicy: its flow must fail.
    var text = String(decoding: result.render(.yaml), as: UTF8.self)
    text = text.replacingOccurrences(
      of: "        - cluster.local/ns/app/sa/worker\n", with: "        - cluster.local/ns/app/sa/nobody\n")
    let report = PolicyVerifier.verify(
      bytes: Array(text.utf8), cluster: cluster, flows: flows,
      baseline: Set(result.policies.filter(\.role.isBaseline).map(\.key)), defaultDeny: true)
    #expect(!report.passed)
    #expect(report.failures.map { $0.flow.summary(in: cluster) } == ["app/worker -> app/server TCP/8080"])
    #expect(report.failures.first?.reason.contains("the generated Istio objects deny it") == true)
  }

  static let schemas = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
    "Fixtures/istio")

  /// Validates JSON documents with jsonschema; returns the exit status and output.
  static func validate(_ documents: [(kind: String, json: String)]) throws -> (Int32, String) {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    let python = root.appendingPathComponent(".venv/bin/python").path
    guard FileManager.default.isExecutableFile(atPath: python) else {
      Issue.record("the venv is missing: run scripts/setup.sh")
      return (-1, "")
    }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kubereach-istio-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    var args: [String] = []
    for (i, d) in documents.enumerated() {
      let file = dir.appendingPathComponent("\(i).json")
      try d.json.write(to: file, atomically: true, encoding: .utf8)
      args += [schemas.appendingPathComponent("\(d.kind).v1.schema.json").path, file.path]
    }
    let script = """
      import json, sys, jsonschema
      bad = 0
      for schema, doc in zip(sys.argv[1::2], sys.argv[2::2]):
          errors = list(jsonschema.Draft7Validator(json.load(open(schema))).iter_errors(json.load(open(doc))))
          for e in errors: print(doc, e.message)
          bad += bool(errors)
      sys.exit(1 if bad else 0)
      """
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = ["-c", script] + args
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self))
  }

  @Test func everyIstioObjectValidatesAgainstIstiosSchemas() throws {
    let (_, _, result) = Self.generate()
    let documents = result.meshObjects.map { ($0.kind, JSONEmitter.emit($0.document)) }
    #expect(documents.count == 3)
    let (status, output) = try Self.validate(documents)
    #expect(status == 0, "\(output)")
    // A control the schema rejects (an action Istio does not know), so this test can fail.
    let bad = JSONEmitter.emit(
      .map([
        "apiVersion": .string("security.istio.io/v1"), "kind": .string("AuthorizationPolicy"),
        "metadata": .map(["name": .string("x")]), "spec": .map(["action": .string("PERMIT")]),
      ]))
    let (badStatus, badOutput) = try Self.validate([("AuthorizationPolicy", bad)])
    #expect(badStatus != 0, "the schema accepted action PERMIT: \(badOutput)")
  }
}

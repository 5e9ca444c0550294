import Foundation
import KubereachCLI
import Testing

/// Exit codes and located diagnostics of the command line, run in-process.
@Suite struct ExitCodeTests {
  static func run(_ arguments: [String]) -> (status: Int32, stdout: String, stderr: String) {
    let io = CommandIO()
    let status = Kubereach.run(arguments: arguments, io: io)
    return (
      status, String(decoding: io.standardOutput, as: UTF8.self), String(decoding: io.standardError, as: UTF8.self)
    )
  }

  /// Writes manifests into a fresh temporary folder and returns the file path.
  static func write(_ text: String, name: String = "input.yaml") throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kubereach-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let file = dir.appendingPathComponent(name)
    try text.write(to: file, atomically: true, encoding: .utf8)
    return file.path
  }

  @Test func yamlSyntaxErrorExitsTwoWithLocation() throws {
    let path = try Self.write("apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n")
    let result = Self.run(["analyze", path])
    #expect(result.status == 2)
    #expect(result.stderr.contains("\(path):"))
    #expect(result.stderr.contains("error:"))
    #expect(result.stdout.isEmpty)
  }

  @Test func invalidCIDRExitsTwoPointingAtTheField() throws {
    let path = try Self.write(
      """
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata: {name: bad, namespace: default}
      spec:
        podSelector: {}
        ingress:
          - from:
              - ipBlock:
                  cidr: 10.0.0.0/33
      """)
    let result = Self.run(["analyze", path])
    #expect(result.status == 2)
    #expect(result.stderr.contains("\(path):9:"), "got \(result.stderr)")
  }

  @Test func unknownFocusWorkloadExitsTwo() {
    let result = Self.run(["analyze", "Scenarios/shop", "--focus-workload", "no-such-workload"])
    #expect(result.status == 2)
    #expect(result.stderr.contains("no-such-workload"))
  }

  @Test func focusNamesResolveShortQualifiedAndIngressController() {
    let short = Self.run([
      "analyze", "Scenarios/shop", "--focus-workload", "frontend", "--focus-workload-peer", "shop/api",
    ])
    #expect(short.status == 0)
    #expect(short.stdout == "shop/frontend[Deployment] => shop/api[Deployment] : TCP 9090\n")
    let controller = Self.run(["analyze", "Scenarios/shop", "--focus-workload", "ingress-controller"])
    #expect(controller.status == 0, "\(controller.stderr)")
    #expect(!controller.stdout.contains("shop/api"))
    let none = Self.run(["analyze", "Scenarios/multi-tenant", "--focus-workload", "ingress-controller"])
    #expect(none.status == 2)
    #expect(none.stderr.contains("workload ingress-controller does not exist in the input"))
  }

  @Test func theIngressControllerIsJudgedByTheMesh() throws {
    // The stand-in is an unlabelled pod without a sidecar in a namespace of its own: a
    // plaintext client, which PERMISSIVE lets in and STRICT rejects.
    let ingress = """
      apiVersion: networking.k8s.io/v1
      kind: Ingress
      metadata: {name: httpbin, namespace: foo}
      spec: {defaultBackend: {service: {name: httpbin, port: {number: 8000}}}}
      """
    for (step, expected) in [
      ("mtls-migration-1-no-policy", "{ingress-controller} => foo/httpbin[Deployment] : TCP 80 [plaintext]"),
      (
        "mtls-migration-2-mesh-strict",
        "{ingress-controller} => foo/httpbin[Deployment] : TCP 80 [denied by mesh: rejected by PeerAuthentication istio-system/default]"
      ),
    ] {
      let path = try Self.write(ingress, name: "ingress.yaml")
      let result = Self.run(["analyze", "Scenarios/\(step)", path, "--focus-workload", "ingress-controller"])
      #expect(result.status == 0, "\(result.stderr)")
      #expect(result.stdout == expected + "\n")
    }
  }

  @Test func badFocusConnectionIsAUsageError() {
    let result = Self.run(["analyze", "Scenarios/shop", "--focus-conn", "http-eighty"])
    #expect(result.status == 2)
  }

  @Test func missingPathIsAnError() {
    let result = Self.run(["analyze", "/nonexistent/kubereach/path"])
    #expect(result.status == 2)
    #expect(result.stderr.contains("error:"))
  }

  @Test func noInputIsAUsageError() {
    let result = Self.run(["analyze"])
    #expect(result.status == 2)
  }

  @Test func warningsDoNotStopTheRun() throws {
    let path = try Self.write(
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: lonely, namespace: undeclared}
      spec:
        containers: [{name: c, image: i}]
      """)
    let result = Self.run(["analyze", path])
    #expect(result.status == 0)
    #expect(result.stderr.contains("warning:"))
    #expect(result.stdout.contains("undeclared/lonely[Pod]"))
  }

  @Test func pngAndSVGAreRenderedInProcess() throws {
    let svg = Self.run(["analyze", "Scenarios/shop", "-o", "svg"])
    #expect(svg.status == 0)
    #expect(svg.stdout.contains("<svg"))
    let io = CommandIO()
    #expect(Kubereach.run(arguments: ["analyze", "Scenarios/shop", "-o", "png"], io: io) == 0)
    #expect(io.standardOutput.starts(with: [0x89, 0x50, 0x4E, 0x47]))
  }

  @Test func synthWritesALoadableCluster() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kubereach-synth-\(UUID().uuidString)").path
    let synth = Self.run(["synth", "--pods", "120", "--seed", "5", dir])
    #expect(synth.status == 0, "\(synth.stderr)")
    let analyzed = Self.run(["analyze", dir, "--stats"])
    #expect(analyzed.status == 0, "\(analyzed.stderr)")
    #expect(!analyzed.stderr.contains("warning:"), "\(analyzed.stderr)")
    #expect(analyzed.stderr.contains("stats: pods 120"))
    let again = FileManager.default.temporaryDirectory.appendingPathComponent("kubereach-synth-\(UUID().uuidString)")
      .path
    _ = Self.run(["synth", "--pods", "120", "--seed", "5", again])
    let first = try String(contentsOfFile: dir + "/policies.yaml", encoding: .utf8)
    let second = try String(contentsOfFile: again + "/policies.yaml", encoding: .utf8)
    #expect(first == second)
  }
}

/// Help goes to standard output with exit 0, for the root and for each subcommand.
@Suite struct HelpTests {
  @Test(arguments: ["analyze", "explain", "diff", "synth"]) func subcommandHelp(_ name: String) {
    for arguments in [[name, "--help"], ["help", name]] {
      let io = CommandIO()
      #expect(Kubereach.run(arguments: arguments, io: io) == 0)
      #expect(String(decoding: io.standardOutput, as: UTF8.self).contains("USAGE: kubereach \(name)"))
    }
  }
}

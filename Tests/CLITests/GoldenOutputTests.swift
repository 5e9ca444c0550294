import Foundation
import KubereachCLI
import Testing

/// The committed outputs under `Output/` are what the tool prints for `Scenarios/`.
/// `RECORD=1 swift test --filter GoldenOutputTests` (or `scripts/regenerate-output.sh`) rewrites them.
@Suite(.serialized) struct GoldenOutputTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  /// One golden file: the command line (paths relative to the package root) and where its output lives.
  struct Golden: CustomTestStringConvertible, Sendable {
    var arguments: [String]
    var file: String
    /// The exit status the command must end with (explain: 1 when denied).
    var status: Int32 = 0
    var testDescription: String { file }
  }

  static let goldens: [Golden] = {
    var list: [Golden] = []
    for scenario in ["shop", "shop-v2", "multi-tenant"] {
      let dir = "Scenarios/\(scenario)"
      for format in ["txt", "json", "csv", "md", "dot"] {
        list.append(Golden(arguments: ["analyze", dir, "-o", format], file: "Output/\(scenario)/analyze.\(format)"))
      }
      list.append(
        Golden(arguments: ["analyze", dir, "--granularity", "pod"], file: "Output/\(scenario)/analyze-pods.txt"))
    }
    // The mTLS migration: the 3x3 matrix (sleep -> httpbin) per step.
    for step in [
      "mtls-migration-1-no-policy", "mtls-migration-2-mesh-strict", "mtls-migration-3-namespace-strict",
      "mtls-migration-4-port-disable", "mtls-migration-5-destinationrule-disable", "mtls-migration-6-authorization",
      "mtls-migration-ambient",
    ] {
      let matrix = [
        "analyze", "Scenarios/\(step)", "--focus-workload", "httpbin", "--focus-workload-peer", "sleep",
        "--focus-direction", "ingress",
      ]
      list.append(Golden(arguments: matrix, file: "Output/\(step)/matrix.txt"))
      list.append(Golden(arguments: matrix + ["-o", "json"], file: "Output/\(step)/matrix.json"))
    }
    list.append(
      Golden(
        arguments: ["explain", "legacy/sleep", "svc:foo/httpbin", "--port", "8000", "Scenarios/mtls-migration-6-authorization"],
        file: "Output/mtls-migration-6-authorization/explain-legacy-sleep-httpbin.txt", status: 1))
    list.append(
      Golden(
        arguments: [
          "explain", "foo/sleep", "svc:bar/httpbin", "--port", "8000", "-o", "json",
          "Scenarios/mtls-migration-5-destinationrule-disable",
        ],
        file: "Output/mtls-migration-5-destinationrule-disable/explain-foo-sleep-httpbin-bar.json", status: 1))
    list.append(
      Golden(
        arguments: ["analyze", "Scenarios/mtls-migration-3-namespace-strict", "--exposure"],
        file: "Output/mtls-migration-3-namespace-strict/analyze-exposure.txt"))
    for step in ["mtls-migration-2-mesh-strict", "mtls-migration-5-destinationrule-disable", "mtls-migration-6-authorization"] {
      list.append(
        Golden(
          arguments: ["diff", "Scenarios/mtls-migration-1-no-policy", "Scenarios/\(step)"],
          file: "Output/\(step)/diff-from-step-1.txt"))
    }
    list.append(
      Golden(
        arguments: ["analyze", "Scenarios/mtls-migration-6-authorization", "--no-mesh"],
        file: "Output/mtls-migration-6-authorization/analyze-no-mesh.txt"))
    list.append(
      Golden(arguments: ["analyze", "Scenarios/shop", "--exposure"], file: "Output/shop/analyze-exposure.txt"))
    list.append(
      Golden(
        arguments: ["analyze", "Scenarios/multi-tenant", "--exposure", "-o", "md"],
        file: "Output/multi-tenant/analyze-exposure.md"))
    list.append(
      Golden(arguments: ["diff", "Scenarios/shop", "Scenarios/shop-v2"], file: "Output/shop-v2/diff-from-shop.txt"))
    list.append(
      Golden(
        arguments: ["diff", "Scenarios/shop", "Scenarios/shop-v2", "-o", "md"], file: "Output/shop-v2/diff-from-shop.md"
      ))
    list.append(
      Golden(
        arguments: ["explain", "shop/frontend", "svc:shop/api", "--port", "9090", "Scenarios/shop"],
        file: "Output/shop/explain-frontend-api.txt"))
    return list
  }()

  static var recording: Bool { ProcessInfo.processInfo.environment["RECORD"] == "1" }

  /// Runs the command with paths relative to the package root (where `swift test` runs), so
  /// the outputs name files as a user in the checkout sees them.
  static func output(of arguments: [String]) -> (status: Int32, stdout: String, stderr: String) {
    let io = CommandIO()
    let status = Kubereach.run(arguments: arguments, io: io)
    return (
      status, String(decoding: io.standardOutput, as: UTF8.self), String(decoding: io.standardError, as: UTF8.self)
    )
  }

  @Test(arguments: goldens) func outputIsCurrent(_ golden: Golden) throws {
    let (status, stdout, stderr) = Self.output(of: golden.arguments)
    #expect(status == golden.status, "\(golden.arguments) exited \(status): \(stderr)")
    let url = Self.root.appendingPathComponent(golden.file)
    if Self.recording {
      try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try stdout.write(to: url, atomically: true, encoding: .utf8)
      return
    }
    let committed = try String(contentsOf: url, encoding: .utf8)
    #expect(stdout == committed, "\(golden.file) is stale: run scripts/regenerate-output.sh")
  }

  @Test func outputIsDeterministic() {
    let first = Self.output(of: ["analyze", "Scenarios/multi-tenant", "-o", "json"])
    let second = Self.output(of: ["analyze", "Scenarios/multi-tenant", "-o", "json"])
    #expect(first.stdout == second.stdout)
  }
}

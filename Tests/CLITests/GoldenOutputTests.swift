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
    // The graph gallery (render's own styling) and the HTML report.
    for scenario in ["shop", "shop-v2", "multi-tenant"] {
      for format in ["svg", "png"] {
        list.append(
          Golden(
            arguments: ["render", "Scenarios/\(scenario)", "-o", format], file: "Output/\(scenario)/graph.\(format)"))
      }
    }
    for format in ["svg", "png"] {
      list.append(
        Golden(
          arguments: ["render", "Scenarios/shop-v2", "--before", "Scenarios/shop", "-o", format],
          file: "Output/shop-v2/diff-graph.\(format)"))
    }
    list.append(
      Golden(
        arguments: ["report", "Scenarios/shop-v2", "--before", "Scenarios/shop"], file: "Output/shop-v2/report.html"))
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
    let io = CommandIO()
    let status = Kubereach.run(arguments: golden.arguments, io: io)
    #expect(status == 0, "\(golden.arguments) failed: \(String(decoding: io.standardError, as: UTF8.self))")
    let url = Self.root.appendingPathComponent(golden.file)
    if Self.recording {
      try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try Data(io.standardOutput).write(to: url)
      return
    }
    let committed = try Data(contentsOf: url)
    #expect(Data(io.standardOutput) == committed, "\(golden.file) is stale: run scripts/regenerate-output.sh")
  }

  @Test func outputIsDeterministic() {
    let first = Self.output(of: ["analyze", "Scenarios/multi-tenant", "-o", "json"])
    let second = Self.output(of: ["analyze", "Scenarios/multi-tenant", "-o", "json"])
    #expect(first.stdout == second.stdout)
  }
}

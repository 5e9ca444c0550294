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
    /// The exit status the command must end with.
    var status: Int32 = 0
    /// Where its standard error (a report, such as the generator's verification) lives.
    var stderrFile: String? = nil
    var testDescription: String { file }
  }

  static let goldens: [Golden] = {
    var list: [Golden] = []
    for scenario in ["shop", "shop-v2", "multi-tenant", "live-dump"] {
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
      "mtls-migration-ambient", "mtls-migration-ambient-waypoint",
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
        arguments: [
          "explain", "legacy/sleep", "svc:foo/httpbin", "--port", "8000", "Scenarios/mtls-migration-6-authorization",
        ],
        file: "Output/mtls-migration-6-authorization/explain-legacy-sleep-httpbin.txt", status: 1))
    // A waypoint for service traffic: pod-addressed flows go to the ztunnel, Service-addressed
    // flows through the waypoint.
    let waypoint = "Scenarios/mtls-migration-ambient-waypoint"
    for (client, target, port, file) in [
      ("bar/sleep", "foo/httpbin", "80", "explain-bar-sleep-httpbin-pod.txt"),
      ("bar/sleep", "svc:foo/httpbin", "8000", "explain-bar-sleep-httpbin-svc.txt"),
      ("foo/sleep", "svc:foo/httpbin", "8000", "explain-foo-sleep-httpbin-svc.txt"),
    ] {
      list.append(
        Golden(
          arguments: ["explain", client, target, "--port", port, waypoint],
          file: "Output/mtls-migration-ambient-waypoint/\(file)", status: 1))
    }
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
    for step in [
      "mtls-migration-2-mesh-strict", "mtls-migration-5-destinationrule-disable", "mtls-migration-6-authorization",
    ] {
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
    // The graph gallery (render's own styling) as DOT: every scenario, and diff graphs for the
    // before/after pairs. Their SVG and PNG drawings (and the report) are written by
    // scripts/regenerate-output.sh and checked by `galleryIsDrawn`: Graphviz orders clusters by the
    // addresses of their interned names, so those bytes can differ between processes.
    for (name, path) in Self.gallery {
      list.append(Golden(arguments: ["render", path, "-o", "dot"], file: "Output/\(name)/graph.dot"))
    }
    for (name, before, after) in Self.galleryDiffs {
      list.append(
        Golden(arguments: ["render", after, "--before", before, "-o", "dot"], file: "Output/\(name)/diff-graph.dot"))
    }
    list.append(
      Golden(
        arguments: ["explain", "shop/frontend", "shop/api", "--port", "9090", "Scenarios/live-dump"],
        file: "Output/live-dump/explain-frontend-api.txt"))
    // The generator and the replay (order matters when recording: later commands read earlier outputs).
    let shop = "Scenarios/shop-flows/manifests"
    let flows = "Scenarios/shop-flows/flows"
    let out = "Output/shop-flows"
    list.append(
      Golden(
        arguments: [
          "generate", "from-flows", shop, "--flows", "\(flows)/observed.jsonl", "--default-deny", "--allow-dns",
        ],
        file: "\(out)/policies.yaml", stderrFile: "\(out)/generate-report.txt"))
    list.append(
      Golden(
        arguments: [
          "generate", "from-flows", shop, "--flows", "\(flows)/observed.csv", "--default-deny", "--allow-dns", "-o",
          "json",
        ],
        file: "\(out)/policies.json"))
    list.append(
      Golden(
        arguments: [
          "generate", "from-flows", shop, "--flows", "\(flows)/observed-hubble.jsonl", "--default-deny", "--allow-dns",
        ],
        file: "\(out)/policies-from-hubble.yaml", stderrFile: "\(out)/generate-from-hubble-report.txt"))
    list.append(
      Golden(
        arguments: [
          "generate", "from-flows", shop, "--flows", "\(flows)/observed-partial.jsonl", "--default-deny", "--allow-dns",
        ],
        file: "\(out)/too-tight.yaml"))
    list.append(
      Golden(arguments: ["generate", "default-deny", shop, "--allow-dns"], file: "\(out)/default-deny.yaml"))
    list.append(
      Golden(
        arguments: ["simulate", shop, "--flows", "\(flows)/observed.jsonl", "--with", "\(out)/policies.yaml"],
        file: "\(out)/simulate.txt"))
    list.append(
      Golden(
        arguments: [
          "simulate", shop, "--flows", "\(flows)/observed-hubble.jsonl", "--with", "\(out)/policies.yaml", "-o", "json",
        ],
        file: "\(out)/simulate-hubble.json"))
    list.append(
      Golden(
        arguments: ["simulate", shop, "--flows", "\(flows)/observed.jsonl", "--with", "\(out)/too-tight.yaml"],
        file: "\(out)/simulate-too-tight.txt", status: 1))
    // --emit-istio on Istio's mTLS migration task (Scenarios/mesh-flows/README.md).
    let migration = "Scenarios/mtls-migration-1-no-policy"
    let meshOut = "Output/mesh-flows"
    for window in ["mesh-only", "with-legacy"] {
      list.append(
        Golden(
          arguments: [
            "generate", "from-flows", migration, "--flows", "Scenarios/mesh-flows/window-\(window).csv",
            "--default-deny",
            "--emit-istio",
          ],
          file: "\(meshOut)/policies-\(window).yaml", stderrFile: "\(meshOut)/generate-\(window)-report.txt"))
    }
    list.append(
      Golden(
        arguments: [
          "simulate", migration, "--flows", "Scenarios/mesh-flows/window-with-legacy.csv", "--with",
          "\(meshOut)/policies-mesh-only.yaml",
        ],
        file: "\(meshOut)/simulate-with-legacy-against-mesh-only.txt", status: 1))
    list += checkGoldens
    return list
  }()

  static let gallery =
    [
      ("shop", "Scenarios/shop"), ("shop-v2", "Scenarios/shop-v2"), ("multi-tenant", "Scenarios/multi-tenant"),
      ("shop-flows", "Scenarios/shop-flows/manifests"), ("check-planted", "Scenarios/check-planted/cluster"),
      ("check-clean", "Scenarios/check-clean"), ("check-pr", "Scenarios/check-pr/pr"),
    ] + migrationSteps.map { ($0, "Scenarios/\($0)") }
  /// Istio's mTLS migration, step by step (mesh edge styles), each step drawn against the one before.
  static let migrationSteps = [
    "mtls-migration-1-no-policy", "mtls-migration-2-mesh-strict", "mtls-migration-3-namespace-strict",
    "mtls-migration-4-port-disable", "mtls-migration-5-destinationrule-disable", "mtls-migration-6-authorization",
    "mtls-migration-ambient", "mtls-migration-ambient-waypoint",
  ]
  static let galleryDiffs =
    [
      ("shop-v2", "Scenarios/shop", "Scenarios/shop-v2"),
      ("check-pr", "Scenarios/check-pr/base", "Scenarios/check-pr/pr"),
    ]
    + zip(migrationSteps.prefix(5), migrationSteps.dropFirst().prefix(5)).map {
      ($0.1, "Scenarios/\($0.0)", "Scenarios/\($0.1)")
    }

  /// Every scenario has its drawings (SVG and PNG, diff graphs for the pairs) and shop-v2 its report.
  @Test func galleryIsDrawn() throws {
    // When recording, scripts/regenerate-output.sh draws them after this run.
    guard !Self.recording else { return }
    var files = Self.gallery.flatMap { ["Output/\($0.0)/graph.svg", "Output/\($0.0)/graph.png"] }
    files += Self.galleryDiffs.flatMap { ["Output/\($0.0)/diff-graph.svg", "Output/\($0.0)/diff-graph.png"] }
    files += ["Output/shop-v2/report.html", "Output/shop-v2/report.png"]
    for file in files {
      let bytes = try Data(contentsOf: Self.root.appendingPathComponent(file))
      if file.hasSuffix(".png") {
        #expect(Array(bytes.prefix(4)) == [0x89, 0x50, 0x4E, 0x47], "\(file) is not a PNG")
      } else if file.hasSuffix(".svg") {
        #expect(String(decoding: bytes.prefix(5), as: UTF8.self) == "<?xml", "\(file) is not an SVG")
      } else {
        #expect(String(decoding: bytes.prefix(15), as: UTF8.self) == "<!DOCTYPE html>", "\(file) is not HTML")
      }
    }
  }

  /// `kubereach check` on the check scenarios, in every format that has a golden file.
  static let checkGoldens: [Golden] = {
    let planted = ["check", "Scenarios/check-planted/cluster", "--rules", "Scenarios/check-planted/rules.yaml"]
    let pr = ["check", "Scenarios/check-pr/pr", "--baseline", "Scenarios/check-pr/base"]
    return [
      Golden(arguments: planted, file: "Output/check-planted/check.txt", status: 1),
      Golden(arguments: planted + ["-o", "json"], file: "Output/check-planted/check.json", status: 1),
      Golden(arguments: planted + ["-o", "junit"], file: "Output/check-planted/check.junit.xml", status: 1),
      Golden(arguments: planted + ["-o", "sarif"], file: "Output/check-planted/check.sarif", status: 1),
      Golden(arguments: ["check", "Scenarios/check-clean"], file: "Output/check-clean/check.txt"),
      Golden(arguments: ["check", "Scenarios/check-clean", "-o", "sarif"], file: "Output/check-clean/check.sarif"),
      Golden(arguments: pr, file: "Output/check-pr/check.txt", status: 1),
      Golden(arguments: pr + ["-o", "sarif"], file: "Output/check-pr/check.sarif", status: 1),
      Golden(arguments: pr + ["-o", "junit"], file: "Output/check-pr/check.junit.xml", status: 1),
    ]
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
    let stderr = String(decoding: io.standardError, as: UTF8.self)
    #expect(status == golden.status, "\(golden.arguments) exited \(status), not \(golden.status): \(stderr)")
    // Bytes, not text: the gallery holds PNG files.
    var files = [(golden.file, Data(io.standardOutput))]
    if let stderrFile = golden.stderrFile { files.append((stderrFile, Data(io.standardError))) }
    for (file, bytes) in files {
      let url = Self.root.appendingPathComponent(file)
      if Self.recording {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try bytes.write(to: url)
        continue
      }
      let committed = try Data(contentsOf: url)
      #expect(bytes == committed, "\(file) is stale: run scripts/regenerate-output.sh")
    }
  }

  @Test func outputIsDeterministic() {
    let first = Self.output(of: ["analyze", "Scenarios/multi-tenant", "-o", "json"])
    let second = Self.output(of: ["analyze", "Scenarios/multi-tenant", "-o", "json"])
    #expect(first.stdout == second.stdout)
  }
}

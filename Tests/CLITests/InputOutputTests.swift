import Foundation
import Testing

@testable import KubereachCLI

/// Input options shared by every command, and output that is never lost silently.
@Suite struct InputOutputTests {
  static func run(_ arguments: [String]) -> (status: Int32, stdout: String, stderr: String) {
    ExitCodeTests.run(arguments)
  }

  static let relabelled = """
    apiVersion: v1
    kind: Namespace
    metadata: {name: shop}
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: api, namespace: shop}
    spec:
      replicas: 1
      selector: {matchLabels: {app: api}}
      template: {metadata: {labels: {app: api}}}
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web, namespace: shop}
    spec:
      selector: {matchLabels: {app: web}}
      template: {metadata: {labels: {app: web}}}
    ---
    apiVersion: v1
    kind: Pod
    metadata:
      name: api-1
      namespace: shop
      labels: {app: api}
      ownerReferences: [{kind: Deployment, name: api, controller: true}]
    ---
    apiVersion: v1
    kind: Pod
    metadata:
      name: api-2
      namespace: shop
      labels: {app: api, quarantine: "true"}
      ownerReferences: [{kind: Deployment, name: api, controller: true}]
    ---
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: quarantine, namespace: shop}
    spec:
      podSelector: {matchLabels: {quarantine: "true"}}
      policyTypes: [Ingress, Egress]

    """

  @Test func granularityAutoListsOnlyTheDifferingWorkloadPodByPod() throws {
    let path = try ExitCodeTests.write(Self.relabelled)
    let workload = Self.run(["analyze", path])
    #expect(workload.status == 2)
    #expect(workload.stderr.contains("--granularity auto"))
    let auto = Self.run(["analyze", path, "--granularity", "auto"])
    #expect(auto.status == 0, "\(auto.stderr)")
    #expect(auto.stdout.contains("shop/api-1[Pod] => shop/web[Deployment] : All Connections"))
    #expect(auto.stdout.contains("shop/web[Deployment] => shop/api-1[Pod] : All Connections"))
    #expect(!auto.stdout.contains("shop/api-2[Pod] =>"))
    #expect(!auto.stdout.contains("[Deployment] => shop/api-2"))
    #expect(!auto.stdout.contains("shop/api[Deployment]"))
    #expect(auto.stderr.contains("note:") && auto.stderr.contains("quarantine"))
    #expect(auto.stderr.contains("[workload-split]"))
    // A focus on the split workload is not an empty answer: it says where its pods went.
    let focus = Self.run(["analyze", path, "--granularity", "auto", "--focus-workload", "shop/api"])
    #expect(focus.status == 2)
    #expect(focus.stderr.contains("listed pod by pod") && focus.stderr.contains("shop/api-1, shop/api-2"))
    let pod = Self.run(["analyze", path, "--granularity", "auto", "--focus-workload", "shop/api-1"])
    #expect(pod.status == 0 && pod.stdout.contains("shop/api-1[Pod] => shop/web[Deployment]"))
  }

  @Test func namespaceOptionOnEveryCommandThatReadsManifests() throws {
    let path = try ExitCodeTests.write(
      """
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: server}
      spec:
        selector: {matchLabels: {app: server}}
        template: {metadata: {labels: {app: server}}}
      ---
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: repo}
      spec:
        selector: {matchLabels: {app: repo}}
        template: {metadata: {labels: {app: repo}}}

      """)
    let analyze = Self.run(["analyze", "-n", "argocd", path])
    #expect(analyze.stdout.contains("argocd/repo[Deployment] => argocd/server[Deployment]"))
    #expect(analyze.stderr.components(separatedBy: "[implicit-namespace]").count == 2)
    let explain = Self.run(["explain", "argocd/repo", "argocd/server", "--namespace", "argocd", path])
    #expect(explain.status == 0, "\(explain.stderr)")
    let diff = Self.run(["diff", "-n", "argocd", path, path])
    #expect(diff.status == 0, "\(diff.stderr)")
    #expect(Self.run(["analyze", "-n", "Not_Valid", path]).status == 2)
  }

  @Test func unevaluatedPolicySummaryFollowsEverythingElse() throws {
    let path = try ExitCodeTests.write(
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: p, namespace: shop, labels: {app: a}}
      ---
      apiVersion: cilium.io/v2
      kind: CiliumNetworkPolicy
      metadata: {name: lockdown, namespace: shop}
      spec: {endpointSelector: {}}

      """)
    let result = Self.run(["analyze", path])
    #expect(result.status == 0)
    #expect(result.stderr.contains("CiliumNetworkPolicy (cilium.io) 'shop/lockdown'"))
    let lastLine = result.stderr.split(separator: "\n").last.map(String.init) ?? ""
    #expect(lastLine.hasPrefix("warning: 1 policy object of kinds kubereach does not evaluate"))
  }

  @Test func outputFileIsReplacedWholeAndOnlyOnSuccess() throws {
    let input = try ExitCodeTests.write(Self.relabelled)
    let folder = (input as NSString).deletingLastPathComponent
    let target = folder + "/out.txt"
    try "previous".write(toFile: target, atomically: false, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: target)
    // A failed run leaves the previous file as it was.
    #expect(Self.run(["analyze", input, "--output-file", target]).status == 2)
    #expect(try String(contentsOfFile: target, encoding: .utf8) == "previous")
    // A successful one replaces it, keeps its permissions and leaves no temporary file.
    let ok = Self.run(["analyze", input, "--granularity", "auto", "--output-file", target])
    #expect(ok.status == 0)
    #expect(try String(contentsOfFile: target, encoding: .utf8).contains("shop/api-1[Pod]"))
    let mode = try FileManager.default.attributesOfItem(atPath: target)[.posixPermissions] as? Int
    #expect(mode == 0o640)
    let left = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.contains("kubereach-") }
    #expect(left.isEmpty, "\(left)")
  }

  @Test func writeErrorsAreInWords() throws {
    let input = try ExitCodeTests.write(Self.relabelled)
    let missing = Self.run(["analyze", input, "--granularity", "pod", "--output-file", "/nonexistent-dir/x.txt"])
    #expect(missing.status == 2)
    #expect(missing.stderr.contains("No such file or directory"))
    #expect(!missing.stderr.contains("NSCocoaErrorDomain"))
    let synth = Self.run(["synth", "--pods", "3", (input as NSString).appendingPathComponent("below-a-file")])
    #expect(synth.status == 2)
    #expect(synth.stderr.contains("Not a directory"), "\(synth.stderr)")
    #expect(!synth.stderr.contains("NSCocoaErrorDomain"))
  }

  @Test func devicesAreWrittenInPlaceNotRenamedOver() throws {
    #expect(throws: Never.self) { try OutputWriter.writeFile(Array("x".utf8), to: "/dev/null") }
    var info = stat()
    #expect(stat("/dev/null", &info) == 0 && (info.st_mode & S_IFMT) == S_IFCHR)
    #expect(throws: CommandFailure.self) { try OutputWriter.writeFile(Array("x".utf8), to: "/dev/full") }
  }

  // MARK: - The real process: standard output failures and closed pipes

  /// The built `kubereach` executable, next to the test bundle.
  static var executable: URL {
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("kubereach").path), dir.path != "/" {
      dir = dir.deletingLastPathComponent()
    }
    return dir.appendingPathComponent("kubereach")
  }

  static func runProcess(_ arguments: [String], stdout: FileHandle?, stdin: FileHandle? = nil) throws
    -> (status: Int32, reason: Process.TerminationReason, stderr: String)
  {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    let errors = Pipe()
    process.standardError = errors
    if let stdout { process.standardOutput = stdout }
    if let stdin { process.standardInput = stdin }
    try process.run()
    let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, process.terminationReason, text)
  }

  @Test func aFullDiskIsAnErrorNotASuccess() throws {
    #expect(FileManager.default.fileExists(atPath: Self.executable.path), "build kubereach first")
    let input = try ExitCodeTests.write(Self.relabelled)
    let full = try #require(FileHandle(forWritingAtPath: "/dev/full"))
    let result = try Self.runProcess(["analyze", input, "--granularity", "pod"], stdout: full)
    #expect(result.status == 2)
    #expect(result.stderr.contains("cannot write standard output: No space left on device"))
  }

  @Test func aClosedPipeEndsTheRunQuietly() throws {
    let input = try ExitCodeTests.write(Self.relabelled)
    let pipe = Pipe()
    try pipe.fileHandleForReading.close()
    let result = try Self.runProcess(["analyze", input, "--granularity", "pod"], stdout: pipe.fileHandleForWriting)
    #expect(result.reason == .uncaughtSignal && result.status == SIGPIPE)
    #expect(!result.stderr.contains("error"))
  }

  @Test func emptyStandardInputIsAWarning() throws {
    let empty = try #require(FileHandle(forReadingAtPath: "/dev/null"))
    let result = try Self.runProcess(["analyze", "-"], stdout: nil, stdin: empty)
    #expect(result.status == 0)
    #expect(result.stderr.contains("warning: no objects read from standard input"))
  }
}

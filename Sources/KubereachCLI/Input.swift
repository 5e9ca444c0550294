import ArgumentParser
import Formats
import Foundation
import KubeModel
import Manifests
import Reachability

/// Options every command that reads manifests shares.
struct InputOptions: ParsableArguments {
  @Flag(help: "Print timings, counts and peak memory to standard error.")
  var stats = false

  @Flag(help: "Also print a summary of skipped kinds.")
  var verbose = false

  @Flag(help: "Let ipBlocks also select pods whose status.podIP lies inside them (as CNIs do).")
  var ipblockMatchesPodIps = false

  @Option(
    name: .shortAndLong,
    help: "The namespace of objects that name none (as kubectl apply -n); default: default.")
  var namespace: String = "default"

  @Flag(help: "Report unknown fields in policies as warnings instead of errors.")
  var lenient = false

  var loadOptions: LoadOptions {
    LoadOptions(verbose: verbose, lenient: lenient, defaultNamespace: namespace)
  }

  @Flag(name: .customLong("no-mesh"), help: "Ignore the Istio mesh: netpol-analyzer's reading (L3/L4 tiers only).")
  var noMesh = false

  @Option(name: .customLong("mesh-root-namespace"), help: "The Istio root namespace (mesh-wide policies).")
  var meshRootNamespace = "istio-system"

  @Flag(
    name: .customLong("mesh-inject-by-default"),
    help: "The sidecar injector injects pods of namespaces without an injection label.")
  var meshInjectByDefault = false

  var engineOptions: EngineOptions {
    var options = EngineOptions()
    options.ipBlockMatchesPodIPs = ipblockMatchesPodIps
    options.mesh = MeshOptions(
      enabled: noMesh ? false : nil, rootNamespace: meshRootNamespace,
      injectByDefault: meshInjectByDefault)
    return options
  }
}

/// Measures the phases of a run for `--stats`.
final class RunStatistics {
  private var phases: [(String, Double)] = []
  private var counts: [(String, Int)] = []
  private var started = DispatchTime.now()

  func start() { started = DispatchTime.now() }

  /// Records the time since `start()` (or the previous lap) under a name.
  func lap(_ name: String) {
    let now = DispatchTime.now()
    phases.append((name, Double(now.uptimeNanoseconds - started.uptimeNanoseconds) / 1e9))
    started = now
  }

  func record(_ name: String, seconds: Double) { phases.append((name, seconds)) }
  func count(_ name: String, _ value: Int) { counts.append((name, value)) }

  func report() -> String {
    var lines = phases.map { "stats: \($0.0) \(String(format: "%.3f", $0.1)) s" }
    lines += counts.map { "stats: \($0.0) \($0.1)" }
    lines.append("stats: peak-memory \(Self.peakResidentMegabytes()) MiB")
    return lines.joined(separator: "\n") + "\n"
  }

  /// VmHWM from /proc/self/status, in MiB.
  static func peakResidentMegabytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
      let digits = line.filter(\.isNumber)
      return (Int(digits) ?? 0) / 1024
    }
    return 0
  }
}

/// Loads manifests, prints warnings, and fails with exit 2 on errors.
func loadCluster(paths: [String], options: InputOptions, io: CommandIO) throws(CommandFailure) -> Cluster {
  guard !paths.isEmpty else { throw .usage("no input: give manifest files, folders, or - for standard input") }
  guard KubernetesNames.isDNSLabel(options.namespace) else {
    throw .usage("--namespace '\(options.namespace)' is not a valid namespace name")
  }
  let result = ManifestLoader.load(paths: paths, options: options.loadOptions)
  let errors = result.diagnostics.filter { $0.severity == .error }
  if !errors.isEmpty { throw CommandFailure(result.diagnostics) }
  var diagnostics = result.diagnostics
  // Waypoint labels naming a Gateway that is not in the input: the mesh stage assumes a traffic
  // type for them, and says so (only when the mesh is evaluated).
  if MeshMembership.isEnabled(in: result.cluster, options: options.engineOptions.mesh) {
    diagnostics += MeshMembership.waypointDiagnostics(in: result.cluster)
  }
  DiagnosticPrinter.print(diagnostics, to: io)
  if let summary = result.unevaluatedPolicySummary, !io.trailer.contains(summary) {
    io.trailer.append(summary)
  }
  if options.verbose && !result.skippedKinds.isEmpty {
    let summary = result.skippedKinds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
    io.log("skipped kinds: " + summary.joined(separator: ", ") + "\n")
  }
  return result.cluster
}

/// Writes rendered bytes to a file or to standard output.
func emit(_ bytes: [UInt8], to outputFile: String?, io: CommandIO) throws(CommandFailure) {
  try emit(to: outputFile, io: io) { $0.write(bytes) }
}

/// Writes what `render` writes into its sink to standard output, or to `--output-file`, as it
/// comes: the output is never held whole.
func emit(
  to outputFile: String?, io: CommandIO, _ render: (any OutputSink) throws(CommandFailure) -> Void
) throws(CommandFailure) {
  guard let outputFile else { return try render(io.output) }
  try OutputWriter.writeFile(to: outputFile, render)
}

extension CommandFailure {
  /// A renderer's failure (for example Graphviz refusing a layout).
  static func render(_ error: RenderError) -> CommandFailure {
    CommandFailure([.error(.render, error.description, at: nil)])
  }
}

/// The `-o` values are the renderers' formats.
extension OutputFormat: ExpressibleByArgument {}

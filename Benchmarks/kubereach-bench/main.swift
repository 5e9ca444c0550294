import Foundation
import KubeModel
import Reachability
import Synthesis

/// Peak resident set size of this process (VmHWM), in MiB; 0 where /proc is missing.
func peakRSSMiB() -> Double {
  guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else {
    return 0
  }
  for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
    let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
    return kb / 1024
  }
  return 0
}

func seconds(_ start: Date) -> String { String(format: "%.3f", Date().timeIntervalSince(start)) }

/// `engine [pods...]`: synthetic clusters (policies = pods/10, a namespace per 30 pods),
/// compile and evaluate every class-level connection, report times and peak RSS. `--admin`
/// adds 8 AdminNetworkPolicies and a baseline.
func engineBenchmark(_ args: [String]) {
  let sizes = args.compactMap { Int($0) }
  let admin = args.contains("--admin") ? 8 : 0
  for pods in sizes.isEmpty ? [1_000, 10_000, 150_000] : sizes {
    var start = Date()
    let cluster = SyntheticCluster.generate(
      pods: pods, namespaces: max(1, pods / 30), policies: max(1, pods / 10), seed: 42,
      adminPolicies: admin)
    let generate = seconds(start)
    start = Date()
    let engine = ReachabilityEngine(cluster: cluster)
    let compile = seconds(start)
    start = Date()
    let rows = engine.classConnections()
    let evaluate = seconds(start)
    let stats = engine.stats
    print(
      "engine pods=\(pods) anps=\(admin) workloads=\(cluster.workloads.count) namespaces=\(cluster.namespaces.count) "
        + "policies=\(stats.policies) classes=\(stats.classes) profiles=\(stats.profiles) atoms=\(stats.portAtoms) "
        + "ipRanges=\(stats.ipRanges) generate=\(generate)s compile=\(compile)s evaluate=\(evaluate)s "
        + "classPairs=\(rows.count) peakRSS=\(String(format: "%.0f", peakRSSMiB()))MiB")
  }
}

/// `mesh [pods...]`: synthetic clusters with `SyntheticMesh` (as `synth --mesh`). Compiles the
/// engine with the mesh on, evaluates every class-level connection (the NetworkPolicy
/// engine's own time), then asks the mesh stage for the verdict of every row of that table
/// (the mesh stage's time), and reports both.
func meshBenchmark(_ args: [String]) {
  let sizes = args.compactMap { Int($0) }
  for pods in sizes.isEmpty ? [1_000, 10_000] : sizes {
    var cluster = SyntheticCluster.generate(
      pods: pods, namespaces: max(1, pods / 30), policies: max(1, pods / 10), seed: 42)
    SyntheticMesh.add(to: &cluster, seed: 42)
    var start = Date()
    let engine = ReachabilityEngine(cluster: cluster)
    let compile = seconds(start)
    start = Date()
    let table = engine.classConnectionTable()
    let npSeconds = Date().timeIntervalSince(start)
    start = Date()
    var touched = 0
    var denied = 0
    let ids = engine.meshVerdictIDs(for: table) ?? []
    let stageSeconds = Date().timeIntervalSince(start)
    // Ids are dense (interned verdicts): tally through an array, 0 = not seen yet, then
    // 1 + touched + 2 * denied.
    var seen: [UInt8] = []
    for id in ids {
      let i = Int(id)
      if i >= seen.count { seen.append(contentsOf: repeatElement(0, count: i + 1 - seen.count)) }
      if seen[i] == 0, let verdict = engine.meshVerdict(id: id) {
        seen[i] = 1 + (verdict.isUntouched ? 0 : 1) + (verdict.parts.contains { !$0.allowed } ? 2 : 0)
      }
      if seen[i] & 1 == 0 { touched += 1 }
      if seen[i] >= 3 { denied += 1 }
    }
    let meshSeconds = Date().timeIntervalSince(start)
    let stats = engine.stats
    let profiles = engine.mesh?.profileCounts ?? (clients: 0, servers: 0)
    let objects =
      cluster.peerAuthentications.count + cluster.destinationRules.count + cluster.authorizationPolicies.count
    let f = { (x: Double) -> String in String(format: "%.3f", x) }
    var line = "mesh pods=\(pods) classes=\(stats.classes) meshObjects=\(objects)"
    line += " clientProfiles=\(profiles.clients) serverProfiles=\(profiles.servers) compile=\(compile)s"
    line += " meshCompile=\(f(engine.meshCompileSeconds))s npEvaluate=\(f(npSeconds))s"
    line +=
      " meshEvaluate=\(f(meshSeconds))s (stage \(f(stageSeconds))s) ratio=\(f(meshSeconds / max(npSeconds, 1e-9)))"
    line += " classPairs=\(table.count) meshTouched=\(touched) meshDenied=\(denied)"
    line += " peakRSS=\(String(format: "%.0f", peakRSSMiB()))MiB"
    print(line)
  }
}

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "engine":
  engineBenchmark(Array(arguments.dropFirst()))
case "mesh":
  meshBenchmark(Array(arguments.dropFirst()))
case "load":
  loadBenchmark(Array(arguments.dropFirst()))
default:
  print("usage: kubereach-bench engine [pods...] [--admin] | mesh [pods...] | load [file] [--mb N]")
}

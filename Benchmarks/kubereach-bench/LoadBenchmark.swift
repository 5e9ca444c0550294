import CYAML
import Foundation
import KubeModel
import Manifests

/// `load [file] [--mb N] [--only scan|load]`: reads (or generates, ~N MB, default 50) a manifest
/// stream of Deployments, Services and NetworkPolicies; reports the bare libyaml event-scan rate,
/// the full `ManifestLoader` rate (best of `$BENCH_REPEATS`, default 3, in CPU time) and peak RSS.
func loadBenchmark(_ args: [String]) {
  var megabytes = 50
  var file: String?
  var only: String?
  var i = 0
  while i < args.count {
    if args[i] == "--mb", i + 1 < args.count, let n = Int(args[i + 1]) {
      megabytes = n
      i += 2
    } else if args[i] == "--only", i + 1 < args.count {
      only = args[i + 1]
      i += 2
    } else {
      file = args[i]
      i += 1
    }
  }
  // A named file that does not exist yet is generated there and kept.
  var path = file ?? ""
  if let file, !FileManager.default.fileExists(atPath: file) {
    let generated = generateManifestStream(megabytes: megabytes)
    try? FileManager.default.moveItem(atPath: generated, toPath: file)
  } else if file == nil {
    path = generateManifestStream(megabytes: megabytes)
  }
  let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
  guard let size else {
    print("cannot read \(path)")
    return
  }
  // `--only load` keeps the input out of memory, so peak RSS is the loader's own.
  let bytes =
    only == "load" ? [] : FileManager.default.contents(atPath: path).map { [UInt8]($0) } ?? []
  let mb = Double(size) / 1_000_000
  print("input \(path) \(String(format: "%.1f", mb)) MB")

  var repeats = 3
  if let r = ProcessInfo.processInfo.environment["BENCH_REPEATS"].flatMap(Int.init) {
    repeats = max(1, r)
  }
  var events = 0
  let scan = bestOf(only == "load" ? 0 : repeats) {
    events = bytes.withUnsafeBufferPointer(scanEvents)
  }
  print(
    "event-scan events=\(events) \(scan.summary(mb)) peakRSS=\(String(format: "%.0f", peakRSSMiB()))MiB"
  )

  if only == "scan" { return }
  var result: LoadResult?
  let load = bestOf(repeats, reset: { result = nil }) {
    result = ManifestLoader.load(paths: [path])
  }
  var fromMemory: LoadResult?
  let memory = bestOf(only == "load" ? 0 : repeats, reset: { fromMemory = nil }) {
    fromMemory = ManifestLoader.load(bytes: bytes, file: path)
  }
  if only != "load" {
    print(
      "load-from-memory \(memory.summary(mb)) cpu-ratio=\(String(format: "%.0f", 100 * scan.cpu / memory.cpu))% of event-scan "
        + "pods=\(fromMemory?.cluster.pods.count ?? 0)")
  }
  fromMemory = nil
  guard let result else { return }
  let c = result.cluster
  print(
    "load workloads=\(c.workloads.count) pods=\(c.pods.count) services=\(c.services.count) "
      + "policies=\(c.networkPolicies.count) diagnostics=\(result.diagnostics.count) \(load.summary(mb)) "
      + "cpu-ratio=\(String(format: "%.0f", 100 * scan.cpu / load.cpu))% of event-scan "
      + "peakRSS=\(String(format: "%.0f", peakRSSMiB()))MiB")
  if file == nil { try? FileManager.default.removeItem(atPath: path) }
}

/// Runs libyaml's event parser over the input and only counts events.
func scanEvents(_ input: UnsafeBufferPointer<UInt8>) -> Int {
  guard let base = input.baseAddress else { return 0 }
  let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
  defer { parser.deallocate() }
  guard yaml_parser_initialize(parser) == 1 else { return 0 }
  defer { yaml_parser_delete(parser) }
  yaml_parser_set_input_string(parser, base, input.count)
  var event = yaml_event_t()
  var count = 0
  while yaml_parser_parse(parser, &event) == 1 {
    count += 1
    let done = event.type == YAML_STREAM_END_EVENT
    yaml_event_delete(&event)
    if done { break }
  }
  return count
}

/// Writes a stream of Deployments, Services and NetworkPolicies of about `megabytes` MB to a
/// temporary file and returns its path.
func generateManifestStream(megabytes: Int) -> String {
  let path = NSTemporaryDirectory() + "kubereach-bench-\(getpid()).yaml"
  var text = ""
  text.reserveCapacity(megabytes * 1_000_000 + 10_000)
  var n = 0
  while text.utf8.count < megabytes * 1_000_000 {
    let ns = "ns-\(n % 200)"
    let app = "app-\(n)"
    text += """
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: \(app)
        namespace: \(ns)
        labels:
          app: \(app)
          team: team-\(n % 17)
        annotations:
          description: "generated workload number \(n) for the loader benchmark"
      spec:
        replicas: \(1 + n % 3)
        selector:
          matchLabels:
            app: \(app)
        template:
          metadata:
            labels:
              app: \(app)
              tier: \(["web", "api", "db"][n % 3])
              version: v\(n % 5)
          spec:
            serviceAccountName: sa-\(n % 11)
            containers:
            - name: main
              image: registry.example.com/\(app):1.\(n % 9)
              args: ["--port", "8080", "--verbose"]
              ports:
              - name: http
                containerPort: 8080
              - name: metrics
                containerPort: 9090
                protocol: TCP
              env:
              - name: MODE
                value: production
              - name: PEER
                value: \(app)-peer
              resources:
                requests: {cpu: 100m, memory: 64Mi}
                limits: {cpu: 200m, memory: 128Mi}
              readinessProbe:
                httpGet: {path: /healthz, port: 8080}
      ---
      apiVersion: v1
      kind: Service
      metadata:
        name: \(app)
        namespace: \(ns)
      spec:
        selector:
          app: \(app)
        ports:
        - name: http
          port: 80
          targetPort: http
      ---
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata:
        name: \(app)-ingress
        namespace: \(ns)
      spec:
        podSelector:
          matchLabels:
            app: \(app)
        policyTypes: [Ingress, Egress]
        ingress:
        - from:
          - podSelector:
              matchLabels:
                tier: web
            namespaceSelector:
              matchExpressions:
              - {key: team, operator: In, values: [team-\(n % 17), team-\((n + 1) % 17)]}
          - ipBlock:
              cidr: 10.\(n % 256).0.0/16
              except: [10.\(n % 256).1.0/24]
          ports:
          - port: 8080
          - port: metrics
        egress:
        - to:
          - namespaceSelector: {}
          ports:
          - {port: 53, protocol: UDP}
      ---

      """
    n += 1
  }
  FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
  return path
}

/// The best wall-clock and CPU times of `repeats` runs.
struct Timing {
  var wall: Double
  var cpu: Double

  func summary(_ megabytes: Double) -> String {
    "wall=\(String(format: "%.3f", wall))s cpu=\(String(format: "%.3f", cpu))s "
      + "rate=\(String(format: "%.1f", megabytes / cpu))MB/s(cpu)"
  }
}

/// `reset` runs before each repeat, outside the measured time.
func bestOf(_ repeats: Int, reset: () -> Void = {}, _ body: () -> Void) -> Timing {
  var best = Timing(wall: .infinity, cpu: .infinity)
  for _ in 0..<repeats {
    reset()
    let wallStart = Date()
    let cpuStart = processCPUSeconds()
    body()
    best.cpu = min(best.cpu, processCPUSeconds() - cpuStart)
    best.wall = min(best.wall, Date().timeIntervalSince(wallStart))
  }
  return best
}

/// User plus system CPU time of this process, in seconds.
func processCPUSeconds() -> Double {
  var spec = timespec()
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
  return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

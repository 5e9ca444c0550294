import Analysis
import Formats
import Manifests
import Reachability

/// libFuzzer entry point: bytes that load without errors go on through the model builder, the
/// engine and the connectivity list (at workload granularity, then pod granularity), and are
/// rendered as text and JSON. It must never crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func modelFuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  let loaded = ManifestLoader.load(bytes: bytes, file: "fuzz.yaml", options: LoadOptions(maxReplicas: 4))
  guard !loaded.hasErrors, loaded.cluster.pods.count <= 64 else { return 0 }
  for granularity in [Granularity.workload, .pod, .auto] {
    var options = ConnectivityOptions()
    options.granularity = granularity
    options.exposure = true
    guard let analyzer = try? ConnectivityAnalyzer(cluster: loaded.cluster, options: options) else {
      continue
    }
    let report = analyzer.report()
    _ = try? OutputFormat.txt.renderer.render(report)
    _ = try? OutputFormat.json.renderer.render(report)
  }
  return 0
}

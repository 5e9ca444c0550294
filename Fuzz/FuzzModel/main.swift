import Analysis
import Formats
import Foundation
import Manifests
import Reachability

// libFuzzer target: bytes that load without errors go on through the model builder, the engine
// and the connectivity list at every granularity, with exposure, rendered as text and JSON. It
// must never crash. (See Fuzz/FuzzLoader/main.swift for the driver.)

@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
  _ argc: UnsafeMutablePointer<Int32>,
  _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
  _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(
  runFuzzerDriver(&argc, &argv) { data, size in
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let loaded = ManifestLoader.load(
      bytes: bytes, file: "fuzz.yaml", options: LoadOptions(maxReplicas: 4))
    guard !loaded.hasErrors, loaded.cluster.pods.count <= 64 else { return 0 }
    for granularity in [Granularity.workload, .pod, .auto] {
      var options = ConnectivityOptions()
      options.granularity = granularity
      options.exposure = true
      guard let analyzer = try? ConnectivityAnalyzer(cluster: loaded.cluster, options: options)
      else { continue }
      let report = analyzer.report()
      _ = try? OutputFormat.txt.renderer.render(report)
      _ = try? OutputFormat.json.renderer.render(report)
    }
    return 0
  })

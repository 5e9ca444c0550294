import Foundation
import PolicyGen

// libFuzzer target: any bytes through the flow readers (format detection, ours JSON Lines and
// CSV, Hubble JSON, Otterize intents YAML) and the resolver. It must never crash, whatever the
// input: broken lines are diagnostics.
//
// SwiftPM gives every executable a `main`, so libFuzzer's own is not linked: this one hands
// control to libFuzzer's driver (`libclang_rt.fuzzer_no_main`, linked by scripts/fuzz.sh).

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
    for format in [nil, FlowFormat.ours, .hubble, .intents] {
      guard let result = try? FlowReader.read(.bytes(bytes, name: "fuzz"), format: format) else { continue }
      for diagnostic in result.diagnostics { _ = diagnostic.description }
      let resolved = FlowResolver(cluster: FuzzCluster.cluster).resolve(result.flows)
      for diagnostic in resolved.diagnostics { _ = diagnostic.description }
    }
    return 0
  })

import Foundation
import Manifests

// libFuzzer target: any bytes through the manifest loader (libyaml reader, decoders, cluster
// builder). It must never crash, whatever the input: problems are diagnostics.
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
    let result = ManifestLoader.load(bytes: bytes, file: "fuzz.yaml")
    for diagnostic in result.diagnostics { _ = diagnostic.description }
    return 0
  })

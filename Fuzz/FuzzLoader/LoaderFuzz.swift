import Manifests

/// libFuzzer entry point: any bytes through the manifest loader (libyaml reader, decoders,
/// cluster builder). It must never crash, whatever the input; errors are values.
@_cdecl("LLVMFuzzerTestOneInput")
public func loaderFuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  let result = ManifestLoader.load(bytes: bytes, file: "fuzz.yaml")
  // Every diagnostic must print; every error must be located or say why not.
  for diagnostic in result.diagnostics { _ = diagnostic.description }
  return 0
}

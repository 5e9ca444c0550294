import Foundation
import KubeModel
import Testing

@testable import Manifests

/// Every input kept under `FuzzRegressions/` (crashes found by the fuzzers, and hostile inputs
/// tried by hand) loads without crashing and says something: objects or diagnostics.
@Suite struct FuzzRegressionTests {
  static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("FuzzRegressions")

  @Test func everyKeptInputLoadsWithoutCrashing() throws {
    let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).sorted()
    #expect(files.count >= 6)
    for name in files {
      let bytes = try [UInt8](Data(contentsOf: Self.folder.appendingPathComponent(name)))
      let result = ManifestLoader.load(bytes: bytes, file: name)
      let saysSomething =
        !result.diagnostics.isEmpty || !result.cluster.pods.isEmpty
        || !result.cluster.namespaces.isEmpty
      #expect(saysSomething, "\(name) loaded to nothing, silently")
      for diagnostic in result.diagnostics where diagnostic.severity == .error {
        #expect(diagnostic.location?.file == name, "\(name): \(diagnostic)")
      }
    }
  }
}

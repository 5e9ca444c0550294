import Analysis
import Formats
import Foundation
import KubereachCLI
import Manifests
import TestSupport
import Testing

/// Every corpus folder that analyzes renders to SVG and PNG in-process; the folders with fatal
/// errors exit 2 from `analyze -o svg` without crashing.
@Suite(.serialized) struct CorpusRenderTests {
  @Test(.enabled(if: TestCorpus.netpolAnalyzerIsPresent)) func everyFolderRendersOrFailsCleanly() throws {
    let testsRoot = NetpolCorpus.root.appendingPathComponent("tests")
    let folders = try FileManager.default.contentsOfDirectory(atPath: testsRoot.path).sorted()
    var rendered = 0
    var repaired = 0
    var refused = 0
    var aggregated = 0
    let started = Date()
    for folder in folders {
      let path = testsRoot.appendingPathComponent(folder).path
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
        continue
      }
      let loaded = ManifestLoader.load(paths: [path])
      let analyzer: ConnectivityAnalyzer? =
        loaded.diagnostics.contains { $0.severity == .error }
        ? nil : try? ConnectivityAnalyzer(cluster: loaded.cluster, options: .init())
      guard let analyzer else {
        let io = CommandIO()
        let status = Kubereach.run(arguments: ["analyze", "-o", "svg", path], io: io)
        #expect(status == 2, "\(folder): analyze -o svg exited \(status)")
        #expect(String(decoding: io.standardError, as: UTF8.self).contains("error:"), "\(folder): no error printed")
        refused += 1
        continue
      }
      let report = analyzer.report()
      let outputs: [[UInt8]]
      if report.rows.count > GraphvizRenderer.maxDrawnEdges {
        // What `analyze -o svg|png` draws for graphs too big for dot: the aggregated drawing.
        outputs = [
          try GraphvizRenderer(format: .svg).render(report), try GraphvizRenderer(format: .png).render(report),
        ]
        aggregated += 1
      } else {
        // One layout, both formats (what GraphvizRenderer does once per format).
        let outcome = try Graphviz.renderReporting(dot: DOTRenderer().dot(report), formats: ["svg", "png"])
        outputs = outcome.outputs
        if outcome.repairedRankArrays > 0 { repaired += 1 }
      }
      #expect(String(decoding: outputs[0].prefix(5), as: UTF8.self) == "<?xml", "\(folder): no SVG")
      #expect(Array(outputs[1].prefix(4)) == [0x89, 0x50, 0x4E, 0x47], "\(folder): no PNG")
      rendered += 1
    }
    print(
      "render: \(rendered) folders rendered to SVG and PNG (\(repaired) needed the Graphviz 2.42 repair, "
        + "\(aggregated) above \(GraphvizRenderer.maxDrawnEdges) edges drawn aggregated), "
        + "\(refused) refused with exit 2, in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    #expect(rendered > 200)
  }
}

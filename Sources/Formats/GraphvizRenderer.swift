import Analysis
import CGraphviz
import KubeModel
import Synchronization

/// Lays out the DOT graph with libgvc in-process and renders SVG or PNG.
public struct GraphvizRenderer: ReportRenderer {
  public enum ImageFormat: String, Sendable {
    case svg
    case png
  }

  public var format: ImageFormat

  public init(format: ImageFormat) {
    self.format = format
  }

  /// Above this many edges `dot` takes many minutes (the corpus' ipblockstest_4, 23,943 labelled
  /// edges: `dot` had not finished after 5 minutes and 2 minutes of CPU; `sfdp` and `osage` had not
  /// after 29 s of CPU each), and no one reads such a drawing: it is drawn aggregated by
  /// namespace, as `kubereach render` draws it, and its title says so.
  public static let maxDrawnEdges = 1500

  /// An image is made whole by Graphviz, then written.
  public func render(_ report: ConnectivityReport, into sink: any OutputSink) throws(RenderError) {
    sink.write(try render(report))
  }

  public func render(_ diff: DiffReport, into sink: any OutputSink) throws(RenderError) {
    sink.write(try render(diff))
  }

  public func render(_ report: ConnectivityReport) throws(RenderError) -> [UInt8] {
    let edges = report.rows.count + (report.exposure.map { $0.egress.count + $0.ingress.count } ?? 0)
    if edges > Self.maxDrawnEdges {
      return try aggregated(ClusterGraph(report), edges: edges)
    }
    return try Graphviz.render(dot: DOTRenderer().dot(report), format: format.rawValue)
  }

  public func render(_ diff: DiffReport) throws(RenderError) -> [UInt8] {
    let edges = diff.rows.count + diff.unchanged.count
    if edges > Self.maxDrawnEdges {
      return try aggregated(ClusterGraph(diff), edges: edges)
    }
    return try Graphviz.render(dot: DOTRenderer().dot(diff), format: format.rawValue)
  }

  func aggregated(_ graph: ClusterGraph, edges: Int) throws(RenderError) -> [UInt8] {
    var graph = graph
    graph.notes.insert(
      "\(edges) edges are too many to draw one by one (limit \(Self.maxDrawnEdges)): drawn as kubereach render draws it; "
        + "-o dot writes every edge", at: 0)
    return try ClusterGraphRenderer().render(graph, format: format == .svg ? .svg : .png)
  }
}

/// The one serial path to Graphviz, which keeps global state and is not thread-safe.
public enum Graphviz {
  private static let lock = Mutex(())
  /// Messages Graphviz reported during the current call (its error callback cannot capture).
  private static let messages = Mutex<[String]>([])

  /// What one render did besides producing bytes.
  public struct Outcome: Sendable {
    /// The rendered bytes, one entry per requested format, in the order requested.
    public var outputs: [[UInt8]]
    /// The bytes of the first requested format.
    public var bytes: [UInt8] { outputs.first ?? [] }
    /// Rank arrays repaired before `gvFreeLayout` (see `kr_repair_moved_rank_arrays` in the
    /// CGraphviz shim): non-zero when the layout took Graphviz 2.42's faulty flat-edge label path.
    public var repairedRankArrays: Int
    /// Warnings and errors Graphviz reported, in order.
    public var messages: [String]
  }

  /// Parses DOT text, lays it out with `dot` and renders it in the given format (`svg`, `png`).
  /// PNG is drawn at `dpi` (Graphviz's default is 72).
  public static func render(dot text: String, format: String, dpi: Int = 96) throws(RenderError) -> [UInt8] {
    try renderReporting(dot: text, formats: [format], dpi: dpi).bytes
  }

  /// Lays the graph out once and renders it in each of `formats`; also tells what Graphviz
  /// reported and whether the layout needed the repair.
  public static func renderReporting(dot text: String, formats: [String], dpi: Int = 96) throws(RenderError)
    -> Outcome
  {
    let result: Result<Outcome, RenderError> = lock.withLock { _ in
      messages.withLock { $0 = [] }
      let previous = agseterrf { message in
        if let message { Graphviz.messages.withLock { $0.append(String(cString: message)) } }
        return 0
      }
      defer { agseterrf(previous) }
      guard let context = gvContext() else { return .failure(RenderError("Graphviz: cannot create a context")) }
      defer { gvFreeContext(context) }
      // Read with ids in creation order (kr_read_graph): clusters keep the order of the DOT text.
      guard let graph = text.withCString({ kr_read_graph($0) }) else {
        return .failure(RenderError("Graphviz: the generated DOT text was not accepted: \(collected())"))
      }
      defer { agclose(graph) }
      if formats.contains("png") { setGraphAttribute(graph, "dpi", String(dpi)) }
      guard gvLayout(context, graph, "dot") == 0 else {
        return .failure(RenderError("Graphviz: layout failed (is the plugin registry configured? run `dot -c`)"))
      }
      // Graphviz 2.42.2 (Debian bookworm) double-frees in gvFreeLayout after it placed labels of
      // flat edges in a graph with clusters. Every alternative was measured on Istio's bookinfo
      // graph (scripts/graphviz-repro): skipping gvFreeLayout leaks ~34 KB per render (layouts
      // grow with the graph), and edge `xlabel`s instead of `label`s give a different drawing than
      // `dot` gives the same DOT. Repairing the one stale pointer keeps the drawing and frees
      // everything; valgrind and AddressSanitizer report no error after it.
      let repaired = Int(kr_repair_moved_rank_arrays(graph))
      defer { gvFreeLayout(context, graph) }
      var outputs: [[UInt8]] = []
      for format in formats {
        var buffer: UnsafeMutablePointer<CChar>? = nil
        var length: UInt32 = 0
        guard gvRenderData(context, graph, format, &buffer, &length) == 0, let buffer else {
          return .failure(RenderError("Graphviz: rendering \(format) failed"))
        }
        outputs.append(Array(UnsafeRawBufferPointer(start: buffer, count: Int(length))))
        gvFreeRenderData(buffer)
      }
      return .success(Outcome(outputs: outputs, repairedRankArrays: repaired, messages: collected()))
    }
    return try result.get()
  }

  private static func collected() -> [String] {
    messages.withLock { $0 }
  }

  private static func setGraphAttribute(_ graph: UnsafeMutablePointer<Agraph_t>, _ name: String, _ value: String) {
    _ = name.withCString { name in
      value.withCString { value in
        "".withCString { empty in
          agattr(graph, AGRAPH, UnsafeMutablePointer(mutating: name), UnsafeMutablePointer(mutating: empty))
          return agsafeset(
            graph, UnsafeMutablePointer(mutating: name), UnsafeMutablePointer(mutating: value),
            UnsafeMutablePointer(mutating: empty))
        }
      }
    }
  }
}

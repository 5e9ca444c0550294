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

  public func render(_ report: ConnectivityReport) throws(RenderError) -> [UInt8] {
    try Graphviz.render(dot: DOTRenderer().dot(report), format: format.rawValue)
  }

  public func render(_ diff: DiffReport) throws(RenderError) -> [UInt8] {
    try Graphviz.render(dot: DOTRenderer().dot(diff), format: format.rawValue)
  }
}

/// The one serial path to Graphviz, which keeps global state and is not thread-safe.
public enum Graphviz {
  private static let lock = Mutex(())

  /// Parses DOT text, lays it out with `dot` and renders it in the given format (`svg`, `png`).
  public static func render(dot text: String, format: String) throws(RenderError) -> [UInt8] {
    let result: Result<[UInt8], RenderError> = lock.withLock { _ in
      guard let context = gvContext() else { return .failure(RenderError("Graphviz: cannot create a context")) }
      defer { gvFreeContext(context) }
      guard let graph = text.withCString({ agmemread($0) }) else {
        return .failure(RenderError("Graphviz: the generated DOT text was not accepted"))
      }
      defer { agclose(graph) }
      if format == "png" {
        _ = "dpi".withCString { name in
          "96".withCString { value in
            "".withCString { empty in
              agattr(graph, AGRAPH, UnsafeMutablePointer(mutating: name), UnsafeMutablePointer(mutating: empty))
              return agsafeset(
                graph, UnsafeMutablePointer(mutating: name), UnsafeMutablePointer(mutating: value),
                UnsafeMutablePointer(mutating: empty))
            }
          }
        }
      }
      guard gvLayout(context, graph, "dot") == 0 else {
        return .failure(RenderError("Graphviz: layout failed (is the plugin registry configured? run `dot -c`)"))
      }
      defer { gvFreeLayout(context, graph) }
      var buffer: UnsafeMutablePointer<CChar>? = nil
      var length: UInt32 = 0
      guard gvRenderData(context, graph, format, &buffer, &length) == 0, let buffer else {
        return .failure(RenderError("Graphviz: rendering \(format) failed"))
      }
      defer { gvFreeRenderData(buffer) }
      let bytes = UnsafeRawBufferPointer(start: buffer, count: Int(length))
      return .success(Array(bytes))
    }
    return try result.get()
  }
}

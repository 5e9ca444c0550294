import Analysis
import KubeModel

/// An output format of the command line.
public enum OutputFormat: String, Sendable, CaseIterable {
  case txt, json, csv, md, dot, svg, png

  /// The renderer that writes this format.
  public var renderer: any ReportRenderer {
    switch self {
    case .txt: TextRenderer()
    case .json: JSONRenderer()
    case .csv: CSVRenderer()
    case .md: MarkdownRenderer()
    case .dot: DOTRenderer()
    case .svg: GraphvizRenderer(format: .svg)
    case .png: GraphvizRenderer(format: .png)
    }
  }

  /// True for formats whose output is not text.
  public var isBinary: Bool { self == .png }
}

/// A rendering failure (for example Graphviz refusing a layout).
public struct RenderError: Error, CustomStringConvertible, Sendable {
  public var description: String
  public init(_ description: String) { self.description = description }
}

/// Writes analysis results in one output format. One renderer per format.
public protocol ReportRenderer: Sendable {
  /// The connectivity list (with its optional sections).
  func render(_ report: ConnectivityReport) throws(RenderError) -> [UInt8]
  /// A connectivity diff.
  func render(_ diff: DiffReport) throws(RenderError) -> [UInt8]
}

extension DiffKind {
  var title: String { rawValue }
}

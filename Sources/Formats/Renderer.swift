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

/// Writes analysis results in one output format, into a sink: the text formats pass their bytes
/// on in chunks of about 64 KiB as they go, so an output is never held whole. One renderer per
/// format.
public protocol ReportRenderer: Sendable {
  /// The connectivity list (with its optional sections).
  func render(_ report: ConnectivityReport, into sink: any OutputSink) throws(RenderError)
  /// A connectivity diff.
  func render(_ diff: DiffReport, into sink: any OutputSink) throws(RenderError)
}

extension ReportRenderer {
  /// The whole connectivity output in memory (tests and golden files).
  public func render(_ report: ConnectivityReport) throws(RenderError) -> [UInt8] {
    let collector = ByteCollector()
    try render(report, into: collector)
    return collector.bytes
  }

  /// The whole diff output in memory (tests and golden files).
  public func render(_ diff: DiffReport) throws(RenderError) -> [UInt8] {
    let collector = ByteCollector()
    try render(diff, into: collector)
    return collector.bytes
  }
}

/// Where rendered bytes go: standard output, a file, or memory.
public protocol OutputSink: AnyObject {
  /// Takes the next bytes of the output; `bytes` is valid only during the call.
  func write(_ bytes: UnsafeRawBufferPointer)
}

extension OutputSink {
  /// Writes a whole byte array.
  public func write(_ bytes: [UInt8]) { bytes.withUnsafeBytes { write($0) } }

  /// Writes text as UTF-8.
  public func write(_ text: String) {
    var text = text
    text.withUTF8 { write(UnsafeRawBufferPointer($0)) }
  }
}

/// Collects everything written, for tests, golden files and outputs that are built whole.
public final class ByteCollector: OutputSink {
  public private(set) var bytes: [UInt8] = []
  public init() {}
  public func write(_ bytes: UnsafeRawBufferPointer) { self.bytes.append(contentsOf: bytes) }
}

/// Passes bytes on to another sink, noting how many went through and the last one (for the
/// sections that start differently after an empty list).
final class CountingSink: OutputSink {
  let base: any OutputSink
  private(set) var count = 0
  private(set) var last: UInt8?
  init(_ base: any OutputSink) { self.base = base }
  func write(_ bytes: UnsafeRawBufferPointer) {
    guard !bytes.isEmpty else { return }
    count += bytes.count
    last = bytes[bytes.count - 1]
    base.write(bytes)
  }
  /// True unless nothing, or only one line break, went through: a connectivity list that is
  /// followed by a blank line before the exposure section.
  var holdsText: Bool { count > 1 || (count == 1 && last != UInt8(ascii: "\n")) }
}

extension DiffKind {
  var title: String { rawValue }
}

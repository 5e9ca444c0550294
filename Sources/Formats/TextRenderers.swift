import Analysis
import KubeModel

/// `src => dst : conns` lines, as netpol-analyzer's txt format.
public struct TextRenderer: ReportRenderer {
  public init() {}

  public func render(_ report: ConnectivityReport, into sink: any OutputSink) {
    let list = CountingSink(sink)
    var out = ByteWriter(into: list)
    if let focus = report.focusConnection { out.write("Permitted connections on \(focus):\n") }
    for row in report.rows {
      out.write(row.source.name)
      out.write(" => ")
      out.write(row.destination.name)
      if report.focusConnection == nil {
        out.write(" : ")
        out.write(row.connectionsText)
      }
      out.write("\n")
    }
    out.flush()
    if let exposure = report.exposure {
      // A blank line after the connectivity list, then the exposure section.
      var section = ByteWriter(into: sink)
      if list.holdsText { section.write("\n") }
      ExposureRendering.textSection(report, exposure, into: &section)
      section.flush()
    }
  }

  public func render(_ diff: DiffReport, into sink: any OutputSink) {
    if diff.rows.isEmpty { return }
    var out = ByteWriter(into: sink)
    out.write("Connectivity diff:\n")
    for row in diff.rows {
      out.write("diff-type: \(row.kind.title), source: \(row.source.name), destination: \(row.destination.name), ")
      out.write("ref1: \(row.beforeText), ref2: \(row.afterText)")
      let info = DiffRendering.workloadInfo(row)
      if !info.isEmpty { out.write(", workloads-diff-info: \(info)") }
      out.write("\n")
    }
    out.flush()
  }
}

/// An array of `{"src","dst","conn"}` objects, indented by two spaces.
public struct JSONRenderer: ReportRenderer {
  public init() {}

  public func render(_ report: ConnectivityReport, into sink: any OutputSink) {
    var out = ByteWriter(into: sink)
    defer { out.flush() }
    if let exposure = report.exposure { return ExposureRendering.json(report, exposure, into: &out) }
    if report.rows.isEmpty { return out.write("[]") }
    out.write("[\n")
    for (index, row) in report.rows.enumerated() {
      out.write(index == 0 ? "  {\n    \"src\": " : ",\n  {\n    \"src\": ")
      out.writeJSONString(row.source.name)
      out.write(",\n    \"dst\": ")
      out.writeJSONString(row.destination.name)
      if report.focusConnection == nil {
        out.write(",\n    \"conn\": ")
        out.writeJSONString(row.connectionsText)
      }
      if let mesh = row.mesh {
        // Per connection part: its transport, authorization and final verdict.
        out.write(",\n    \"mesh\": [")
        for (i, part) in mesh.parts.enumerated() {
          out.write(i == 0 ? "\n      {\"conn\": " : ",\n      {\"conn\": ")
          out.writeJSONString(part.connections.description)
          out.write(", \"transport\": ")
          out.writeJSONString(part.transport.rawValue)
          out.write(", \"authorization\": ")
          out.writeJSONString(part.authorization.rawValue)
          out.write(", \"allowed\": \(part.allowed)")
          if !part.allowed {
            out.write(", \"reason\": ")
            out.writeJSONString(part.denialSummary)
          }
          out.write("}")
        }
        out.write("\n    ]")
      }
      out.write("\n  }")
    }
    out.write("\n]")
  }

  public func render(_ diff: DiffReport, into sink: any OutputSink) {
    if diff.rows.isEmpty { return }
    var out = ByteWriter(into: sink)
    out.write("[\n")
    for (index, row) in diff.rows.enumerated() {
      if index > 0 { out.write(",\n") }
      out.write(
        Self.object([
          ("diff-type", row.kind.title), ("source", row.source.name), ("destination", row.destination.name),
          ("ref1", row.beforeText), ("ref2", row.afterText), ("workloads-diff-info", DiffRendering.workloadInfo(row)),
        ]))
    }
    out.write("\n]")
    out.flush()
  }

  /// One object of an array, indented by two spaces, its fields by four.
  static func object(_ fields: [(String, String)]) -> String {
    "  {\n" + fields.map { "    \(quote($0.0)): \(quote($0.1))" }.joined(separator: ",\n") + "\n  }"
  }

  /// A JSON string literal, escaped as Go's encoder escapes (including `<`, `>` and `&`).
  public static func quote(_ text: String) -> String { JSONText.quote(text) }
}

/// Comma-separated values with a header line; fields quoted when they hold commas or quotes.
public struct CSVRenderer: ReportRenderer {
  public init() {}

  public func render(_ report: ConnectivityReport, into sink: any OutputSink) {
    let focus = report.focusConnection != nil
    var out = ByteWriter(into: sink)
    out.write(focus ? "src,dst\n" : "src,dst,conn\n")
    for row in report.rows {
      out.writeCSVField(row.source.name)
      out.write(",")
      out.writeCSVField(row.destination.name)
      if !focus {
        out.write(",")
        out.writeCSVField(row.connectionsText)
      }
      out.write("\n")
    }
    if let exposure = report.exposure { ExposureRendering.csv(report, exposure, into: &out) }
    out.flush()
  }

  public func render(_ diff: DiffReport, into sink: any OutputSink) {
    if diff.rows.isEmpty { return }
    var out = ByteWriter(into: sink)
    out.write("diff-type,source,destination,ref1,ref2,workloads-diff-info\n")
    for row in diff.rows {
      out.write(
        Self.line([
          row.kind.title, row.source.name, row.destination.name, row.beforeText, row.afterText,
          DiffRendering.workloadInfo(row),
        ]))
    }
    out.flush()
  }

  static func line(_ fields: [String]) -> String {
    fields.map(field).joined(separator: ",") + "\n"
  }

  /// One field, quoted (with inner quotes doubled) when it holds a comma, a quote or a line break.
  static func field(_ text: String) -> String {
    text.contains(",") || text.contains("\"") || text.contains("\n")
      ? "\"" + text.replacingAll("\"", with: "\"\"") + "\"" : text
  }
}

/// A Markdown table.
public struct MarkdownRenderer: ReportRenderer {
  public init() {}

  public func render(_ report: ConnectivityReport, into sink: any OutputSink) {
    let focus = report.focusConnection != nil
    var out = ByteWriter(into: sink)
    out.write(focus ? "| src | dst |\n|-----|-----|\n" : "| src | dst | conn |\n|-----|-----|------|\n")
    for row in report.rows {
      out.write("| ")
      out.write(row.source.name)
      out.write(" | ")
      out.write(row.destination.name)
      if focus {
        out.write(" |\n")
      } else {
        out.write(" | ")
        out.write(row.connectionsText)
        out.write(" |\n")
      }
    }
    if let exposure = report.exposure { ExposureRendering.markdown(report, exposure, into: &out) }
    out.flush()
  }

  public func render(_ diff: DiffReport, into sink: any OutputSink) {
    if diff.rows.isEmpty { return }
    var out = ByteWriter(into: sink)
    // Lines joined by line breaks, without one after the last.
    out.write("| diff-type | source | destination | ref1 | ref2 | workloads-diff-info |\n")
    out.write("|-----------|--------|-------------|------|------|---------------------|")
    for row in diff.rows {
      out.write(
        "\n| \(row.kind.title) | \(row.source.name) | \(row.destination.name) | \(row.beforeText) | \(row.afterText) | \(DiffRendering.workloadInfo(row)) |"
      )
    }
    out.flush()
  }
}

extension String {
  func replacingAll(_ target: String, with replacement: String) -> String {
    var out = ""
    var rest = Substring(self)
    while let range = rest.firstRange(of: target) {
      out += rest[..<range.lowerBound]
      out += replacement
      rest = rest[range.upperBound...]
    }
    return out + rest
  }
}

/// Appends text to a byte buffer without building intermediate strings, and passes the buffer on
/// to its sink whenever it holds 64 KiB (and at `flush()`), so the output is never held whole.
struct ByteWriter {
  static let chunk = 64 << 10
  let sink: any OutputSink
  var bytes: [UInt8] = []

  init(into sink: any OutputSink) {
    self.sink = sink
    bytes.reserveCapacity(Self.chunk + 4096)
  }

  mutating func write(_ text: String) {
    var text = text
    text.withUTF8 { bytes.append(contentsOf: $0) }
    if bytes.count >= Self.chunk { flush() }
  }

  /// Passes what is buffered on to the sink. Call it once at the end.
  mutating func flush() {
    if bytes.isEmpty { return }
    bytes.withUnsafeBytes { sink.write($0) }
    bytes.removeAll(keepingCapacity: true)
  }

  /// A JSON string literal, escaped as Go's encoder escapes (including `<`, `>` and `&`).
  mutating func writeJSONString(_ text: String) {
    var text = text
    let plain = text.withUTF8 { buffer in
      !buffer.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0x3C || $0 == 0x3E || $0 == 0x26 }
    }
    if plain {
      bytes.append(0x22)
      text.withUTF8 { bytes.append(contentsOf: $0) }
      bytes.append(0x22)
      if bytes.count >= Self.chunk { flush() }
    } else {
      write(JSONRenderer.quote(text))
    }
  }

  /// A CSV field, quoted when it holds a comma, a quote or a line break.
  mutating func writeCSVField(_ text: String) {
    var text = text
    let needsQuotes = text.withUTF8 { buffer in buffer.contains { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A } }
    if needsQuotes {
      write(CSVRenderer.field(text))
    } else {
      text.withUTF8 { bytes.append(contentsOf: $0) }
      if bytes.count >= Self.chunk { flush() }
    }
  }
}

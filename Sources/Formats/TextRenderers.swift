import Analysis
import KubeModel

/// `src => dst : conns` lines, as netpol-analyzer's txt format.
public struct TextRenderer: ReportRenderer {
  public init() {}

  public func render(_ report: ConnectivityReport) -> [UInt8] {
    var out = ""
    if let focus = report.focusConnection {
      out += "Permitted connections on \(focus):\n"
      for row in report.rows { out += "\(row.source.name) => \(row.destination.name)\n" }
    } else {
      for row in report.rows { out += "\(row.source.name) => \(row.destination.name) : \(row.connections)\n" }
    }
    if let exposure = report.exposure { out = ExposureRendering.text(report, exposure, connlist: out) }
    return Array(out.utf8)
  }

  public func render(_ diff: DiffReport) -> [UInt8] {
    if diff.rows.isEmpty { return [] }
    var out = "Connectivity diff:\n"
    for row in diff.rows {
      out += "diff-type: \(row.kind.title), source: \(row.source.name), destination: \(row.destination.name), "
      out += "ref1: \(row.before), ref2: \(row.after)"
      if !row.workloadInfo.isEmpty { out += ", workloads-diff-info: \(row.workloadInfo)" }
      out += "\n"
    }
    return Array(out.utf8)
  }
}

/// An array of `{"src","dst","conn"}` objects, indented by two spaces.
public struct JSONRenderer: ReportRenderer {
  public init() {}

  public func render(_ report: ConnectivityReport) -> [UInt8] {
    if let exposure = report.exposure { return Array(ExposureRendering.json(report, exposure).utf8) }
    let objects = report.rows.map { row -> [(String, String)] in
      var fields = [("src", row.source.name), ("dst", row.destination.name)]
      if report.focusConnection == nil { fields.append(("conn", row.connections.description)) }
      return fields
    }
    return Array(Self.array(objects).utf8)
  }

  public func render(_ diff: DiffReport) -> [UInt8] {
    if diff.rows.isEmpty { return [] }
    let objects = diff.rows.map { row in
      [
        ("diff-type", row.kind.title), ("source", row.source.name), ("destination", row.destination.name),
        ("ref1", row.before.description), ("ref2", row.after.description), ("workloads-diff-info", row.workloadInfo),
      ]
    }
    return Array(Self.array(objects).utf8)
  }

  static func array(_ objects: [[(String, String)]]) -> String {
    if objects.isEmpty { return "[]" }
    let body = objects.map { fields in
      "  {\n" + fields.map { "    \(quote($0.0)): \(quote($0.1))" }.joined(separator: ",\n") + "\n  }"
    }
    return "[\n" + body.joined(separator: ",\n") + "\n]"
  }

  /// A JSON string literal, escaped as Go's encoder escapes (including `<`, `>` and `&`).
  public static func quote(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case "<": out += "\\u003c"
      case ">": out += "\\u003e"
      case "&": out += "\\u0026"
      default:
        if scalar.value < 0x20 {
          let hex = String(scalar.value, radix: 16)
          out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out + "\""
  }
}

/// Comma-separated values with a header line; fields quoted when they hold commas or quotes.
public struct CSVRenderer: ReportRenderer {
  public init() {}

  public func render(_ report: ConnectivityReport) -> [UInt8] {
    let focus = report.focusConnection != nil
    var out = focus ? "src,dst\n" : "src,dst,conn\n"
    for row in report.rows {
      var fields = [row.source.name, row.destination.name]
      if !focus { fields.append(row.connections.description) }
      out += Self.line(fields)
    }
    if let exposure = report.exposure { out += ExposureRendering.csv(report, exposure) }
    return Array(out.utf8)
  }

  public func render(_ diff: DiffReport) -> [UInt8] {
    if diff.rows.isEmpty { return [] }
    var out = "diff-type,source,destination,ref1,ref2,workloads-diff-info\n"
    for row in diff.rows {
      out += Self.line([
        row.kind.title, row.source.name, row.destination.name, row.before.description, row.after.description,
        row.workloadInfo,
      ])
    }
    return Array(out.utf8)
  }

  static func line(_ fields: [String]) -> String {
    fields.map { field in
      field.contains(",") || field.contains("\"") || field.contains("\n")
        ? "\"" + field.replacingAll("\"", with: "\"\"") + "\"" : field
    }.joined(separator: ",") + "\n"
  }
}

/// A Markdown table.
public struct MarkdownRenderer: ReportRenderer {
  public init() {}

  public func render(_ report: ConnectivityReport) -> [UInt8] {
    let focus = report.focusConnection != nil
    var out = focus ? "| src | dst |\n|-----|-----|\n" : "| src | dst | conn |\n|-----|-----|------|\n"
    for row in report.rows {
      out += "| \(row.source.name) | \(row.destination.name) |"
      out += focus ? "\n" : " \(row.connections) |\n"
    }
    if let exposure = report.exposure { out += ExposureRendering.markdown(report, exposure) }
    return Array(out.utf8)
  }

  public func render(_ diff: DiffReport) -> [UInt8] {
    if diff.rows.isEmpty { return [] }
    var lines = [
      "| diff-type | source | destination | ref1 | ref2 | workloads-diff-info |",
      "|-----------|--------|-------------|------|------|---------------------|",
    ]
    for row in diff.rows {
      lines.append(
        "| \(row.kind.title) | \(row.source.name) | \(row.destination.name) | \(row.before) | \(row.after) | \(row.workloadInfo) |"
      )
    }
    return Array(lines.joined(separator: "\n").utf8)
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

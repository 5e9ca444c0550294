import Checks
import Foundation
import KubeModel

/// An output format of `kubereach check`.
public enum CheckOutputFormat: String, Sendable, CaseIterable {
  case txt, json, junit, sarif

  /// The renderer that writes this format; file paths in locations are written relative to
  /// `baseDirectory` when they lie below it.
  public func renderer(baseDirectory: String) -> any CheckRenderer {
    switch self {
    case .txt: CheckTextRenderer()
    case .json: CheckJSONRenderer(baseDirectory: baseDirectory)
    case .junit: JUnitRenderer()
    case .sarif: SARIFRenderer(baseDirectory: baseDirectory)
    }
  }
}

/// Writes check results in one output format. One renderer per format.
///
/// A protocol of its own beside `ReportRenderer`: the connectivity formats (csv, md, dot, svg,
/// png) have no meaning for findings, and junit and sarif none for connection lists.
public protocol CheckRenderer: Sendable {
  func render(_ report: CheckReport) -> [UInt8]
}

/// A JSON value with keys in the order written, for deterministic output.
indirect enum JSONValue {
  case string(String)
  case int(Int)
  case bool(Bool)
  case array([JSONValue])
  case object([(String, JSONValue)])

  func write(into out: inout String, indent: Int) {
    let pad = String(repeating: "  ", count: indent)
    switch self {
    case .string(let s): out += JSONRenderer.quote(s)
    case .int(let n): out += String(n)
    case .bool(let b): out += b ? "true" : "false"
    case .array(let items):
      if items.isEmpty {
        out += "[]"
        return
      }
      out += "[\n"
      for (i, item) in items.enumerated() {
        out += pad + "  "
        item.write(into: &out, indent: indent + 1)
        out += i + 1 < items.count ? ",\n" : "\n"
      }
      out += pad + "]"
    case .object(let fields):
      if fields.isEmpty {
        out += "{}"
        return
      }
      out += "{\n"
      for (i, (key, value)) in fields.enumerated() {
        out += pad + "  " + JSONRenderer.quote(key) + ": "
        value.write(into: &out, indent: indent + 1)
        out += i + 1 < fields.count ? ",\n" : "\n"
      }
      out += pad + "}"
    }
  }

  var text: String {
    var out = ""
    write(into: &out, indent: 0)
    return out + "\n"
  }
}

/// A location's file relative to a base directory when it lies below it.
func relativePath(_ file: String, to base: String) -> String {
  let prefix = base.hasSuffix("/") ? base : base + "/"
  return file.hasPrefix(prefix) ? String(file.dropFirst(prefix.count)) : file
}

/// `file:line:col: severity: message [check]` per finding, then a summary.
public struct CheckTextRenderer: CheckRenderer {
  public init() {}

  public func render(_ report: CheckReport) -> [UInt8] {
    var out = ""
    for f in report.findings {
      let place = f.location.map { $0.line > 0 ? "\($0): " : "\($0.file): " } ?? ""
      out += "\(place)\(f.severity.rawValue): \(f.message) [\(f.check)]\n"
      out += "    object: \(f.object)\n"
    }
    for (f, reason) in report.accepted {
      out += "accepted: \(f.check) \(f.object)\(reason.isEmpty ? "" : ": \(reason)")\n"
    }
    out += Self.summary(report) + "\n"
    return Array(out.utf8)
  }

  /// `3 findings (1 error, 2 warnings, 0 notes), 1 accepted, 2 in the baseline: fails (--fail-on error)`.
  static func summary(_ report: CheckReport) -> String {
    let count = { (s: Severity) in report.findings.filter { $0.severity == s }.count }
    let (e, w, n) = (count(.error), count(.warning), count(.note))
    func plural(_ k: Int, _ word: String) -> String { "\(k) \(word)\(k == 1 ? "" : "s")" }
    let verdict = report.failing.isEmpty ? "passes" : "fails"
    return
      "\(plural(report.findings.count, "finding")) (\(plural(e, "error")), \(plural(w, "warning")), \(plural(n, "note"))), "
      + "\(report.accepted.count) accepted, \(report.baselined) in the baseline, \(report.checks.count) checks: "
      + "\(verdict) (--fail-on \(report.failOn.rawValue))"
  }
}

/// One object with the findings, the accepted ones, and the counts.
public struct CheckJSONRenderer: CheckRenderer {
  public var baseDirectory: String
  public init(baseDirectory: String) { self.baseDirectory = baseDirectory }

  func finding(_ f: Finding) -> JSONValue {
    var fields: [(String, JSONValue)] = [
      ("check", .string(f.check)), ("severity", .string(f.severity.rawValue)), ("message", .string(f.message)),
      ("object", .string(f.object.description)),
    ]
    if !f.detail.isEmpty { fields.append(("detail", .string(f.detail))) }
    if let l = f.location {
      fields.append(
        (
          "location",
          .object([
            ("file", .string(relativePath(l.file, to: baseDirectory))), ("line", .int(l.line)),
            ("column", .int(l.column)),
          ])
        ))
    }
    return .object(fields)
  }

  public func render(_ report: CheckReport) -> [UInt8] {
    let value = JSONValue.object([
      ("passed", .bool(report.failing.isEmpty)), ("failOn", .string(report.failOn.rawValue)),
      ("findings", .array(report.findings.map(finding))),
      (
        "accepted",
        .array(
          report.accepted.map { f, reason in
            guard case .object(var fields) = finding(f) else { return finding(f) }
            fields.append(("reason", .string(reason)))
            return .object(fields)
          })
      ),
      ("baselined", .int(report.baselined)),
      ("checks", .array(report.checks.map { .string($0.id) })),
    ])
    return Array(value.text.utf8)
  }
}

/// JUnit XML: one test case per check or rule; a case fails when it has findings at or above
/// the fail level, and lists the others in its system-out.
public struct JUnitRenderer: CheckRenderer {
  public init() {}

  static func escape(_ s: String) -> String {
    MarkupText.escape(s, apostrophe: "&apos;", replacingControlCharacters: true)
  }

  static func line(_ f: Finding) -> String {
    let place = f.location.map { $0.line > 0 ? "\($0): " : "\($0.file): " } ?? ""
    return "\(place)\(f.severity.rawValue): \(f.message) [\(f.object)]"
  }

  public func render(_ report: CheckReport) -> [UInt8] {
    let failures = report.checks.filter { c in
      report.findings.contains { $0.check == c.id && report.failOn.fails($0.severity) }
    }
    .count
    var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    out +=
      "<testsuites name=\"kubereach check\" tests=\"\(report.checks.count)\" failures=\"\(failures)\" errors=\"0\">\n"
    out +=
      "  <testsuite name=\"kubereach check\" tests=\"\(report.checks.count)\" failures=\"\(failures)\" errors=\"0\" skipped=\"0\">\n"
    for check in report.checks {
      let found = report.findings(of: check.id)
      let failing = found.filter { report.failOn.fails($0.severity) }
      let passing = found.filter { !report.failOn.fails($0.severity) }
      out += "    <testcase classname=\"kubereach.check\" name=\"\(Self.escape(check.id))\""
      if failing.isEmpty && passing.isEmpty {
        out += "/>\n"
        continue
      }
      out += ">\n"
      if !failing.isEmpty {
        let message = "\(failing.count) finding\(failing.count == 1 ? "" : "s"): \(check.title)"
        out += "      <failure type=\"\(failing[0].severity.rawValue)\" message=\"\(Self.escape(message))\">"
        out += Self.escape(failing.map(Self.line).joined(separator: "\n") + "\n\n" + check.help)
        out += "</failure>\n"
      }
      if !passing.isEmpty {
        out += "      <system-out>" + Self.escape(passing.map(Self.line).joined(separator: "\n")) + "</system-out>\n"
      }
      out += "    </testcase>\n"
    }
    out += "  </testsuite>\n</testsuites>\n"
    return Array(out.utf8)
  }
}

/// SARIF 2.1.0: the checks as rules (ID, help, default level), findings as results with the
/// physical location of the object to fix; accepted findings as suppressed results.
public struct SARIFRenderer: CheckRenderer {
  public var baseDirectory: String
  public init(baseDirectory: String) { self.baseDirectory = baseDirectory }

  static let schema = "https://json.schemastore.org/sarif-2.1.0.json"

  func result(_ f: Finding, ruleIndex: Int, suppression: String?) -> JSONValue {
    var location: [(String, JSONValue)] = []
    if let l = f.location {
      var physical: [(String, JSONValue)] = [
        ("artifactLocation", .object([("uri", .string(relativePath(l.file, to: baseDirectory)))]))
      ]
      if l.line > 0 {
        physical.append(("region", .object([("startLine", .int(l.line)), ("startColumn", .int(max(1, l.column)))])))
      }
      location.append(("physicalLocation", .object(physical)))
    }
    location.append(
      (
        "logicalLocations",
        .array([.object([("fullyQualifiedName", .string(f.object.description)), ("kind", .string("resource"))])])
      )
    )
    var fields: [(String, JSONValue)] = [
      ("ruleId", .string(f.check)), ("ruleIndex", .int(ruleIndex)), ("level", .string(f.severity.rawValue)),
      ("message", .object([("text", .string(f.message))])), ("locations", .array([.object(location)])),
      (
        "partialFingerprints",
        .object([("kubereach/v1", .string([f.check, f.object.description, f.detail].joined(separator: "|")))])
      ),
    ]
    if let suppression {
      fields.append(
        ("suppressions", .array([.object([("kind", .string("external")), ("justification", .string(suppression))])])))
    }
    return .object(fields)
  }

  public func render(_ report: CheckReport) -> [UInt8] {
    let index = Dictionary(report.checks.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
    let rules: [JSONValue] = report.checks.map { c in
      .object([
        ("id", .string(c.id)), ("shortDescription", .object([("text", .string(c.title))])),
        ("fullDescription", .object([("text", .string(c.help))])), ("help", .object([("text", .string(c.help))])),
        ("defaultConfiguration", .object([("level", .string(c.defaultSeverity.rawValue))])),
      ])
    }
    var results = report.findings.map { result($0, ruleIndex: index[$0.check] ?? 0, suppression: nil) }
    results += report.accepted.map {
      result($0.finding, ruleIndex: index[$0.finding.check] ?? 0, suppression: $0.reason)
    }
    let run = JSONValue.object([
      (
        "tool",
        .object([
          (
            "driver",
            .object([
              ("name", .string("kubereach")), ("rules", .array(rules)),
            ])
          )
        ])
      ),
      ("columnKind", .string("unicodeCodePoints")),
      ("results", .array(results)),
    ])
    let value = JSONValue.object([
      ("$schema", .string(Self.schema)), ("version", .string("2.1.0")), ("runs", .array([run])),
    ])
    return Array(value.text.utf8)
  }
}

import Foundation
import KubeModel
import TestSupport
import Testing

/// The README's table of diagnostic codes is `DiagnosticCode`, and every code is used.
/// `RECORD=1 swift test --filter DiagnosticCodeTests` rewrites the table from the enum.
@Suite struct DiagnosticCodeTests {
  static let begin =
    "<!-- diagnostic-codes: generated from DiagnosticCode (RECORD=1 swift test --filter DiagnosticCodeTests) -->"
  static let end = "<!-- /diagnostic-codes -->"
  static let readme = TestCorpus.packageRoot.appendingPathComponent("README.md")

  /// The table, one row per code in declaration order.
  static var table: String {
    var lines = ["| Code | Meaning and what to do |", "|------|------------------------|"]
    for code in DiagnosticCode.allCases { lines.append("| `\(code.rawValue)` | \(code.summary) |") }
    return lines.joined(separator: "\n")
  }

  @Test func readmeTableMatchesTheEnum() throws {
    let text = try String(contentsOf: Self.readme, encoding: .utf8)
    let start = try #require(text.range(of: Self.begin), "README.md has no diagnostic-codes table")
    let stop = try #require(text.range(of: Self.end, range: start.upperBound..<text.endIndex))
    let current = text[start.upperBound..<stop.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)
    if ProcessInfo.processInfo.environment["RECORD"] == "1" && current != Self.table {
      let updated = text.replacingCharacters(in: start.upperBound..<stop.lowerBound, with: "\n" + Self.table + "\n")
      try updated.write(to: Self.readme, atomically: true, encoding: .utf8)
      return
    }
    #expect(
      current == Self.table, "README.md's diagnostic-codes table differs from DiagnosticCode; RECORD=1 rewrites it")
  }

  @Test func codesAreDistinctAndPrintedAsTheirRawValue() {
    #expect(Set(DiagnosticCode.allCases.map(\.rawValue)).count == DiagnosticCode.allCases.count)
    for code in DiagnosticCode.allCases {
      #expect(code.rawValue.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" }, "\(code.rawValue)")
      #expect(!code.summary.isEmpty && !code.summary.contains("|") && !code.summary.contains("\n"))
      let d = Diagnostic.warning(code, "m", at: nil)
      #expect(d.description == "warning: m [\(code.rawValue)]")
    }
  }

  /// No code is kept for nothing: each case appears in the product's sources outside its declaration.
  @Test func everyCodeIsUsedInSources() throws {
    let sources = TestCorpus.packageRoot.appendingPathComponent("Sources")
    var text = ""
    let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)
    while let url = files?.nextObject() as? URL {
      guard url.pathExtension == "swift", url.lastPathComponent != "DiagnosticCode.swift" else { continue }
      text += try String(contentsOf: url, encoding: .utf8)
    }
    for code in DiagnosticCode.allCases {
      let caseName = Self.caseName(code)
      let used = text.ranges(of: "." + caseName).contains { range in
        guard range.upperBound < text.endIndex else { return true }
        let next = text[range.upperBound]
        return !(next.isLetter || next.isNumber || next == "_")
      }
      #expect(used, "DiagnosticCode.\(caseName) (\(code.rawValue)) is used nowhere in Sources")
    }
  }

  /// The Swift name of a case (`yaml-syntax` is `yamlSyntax`), as the enum spells it.
  static func caseName(_ code: DiagnosticCode) -> String {
    var out = ""
    var upper = false
    for c in code.rawValue {
      if c == "-" {
        upper = true
        continue
      }
      out += upper ? c.uppercased() : String(c)
      upper = false
    }
    // Acronyms spelled in capitals.
    return out.replacingOccurrences(of: "Cidr", with: "CIDR").replacingOccurrences(of: "Ipblock", with: "IPBlock")
      .replacingOccurrences(of: "Ip", with: "IP")
  }
}

/// Where a model entity or a problem comes from: a file, the document index in that file's
/// stream (0-based), and a 1-based line and column.
public struct SourceLocation: Hashable, Comparable, Sendable, CustomStringConvertible {
  public var file: String
  public var document: Int
  public var line: Int
  public var column: Int

  public init(file: String, document: Int = 0, line: Int, column: Int) {
    self.file = file
    self.document = document
    self.line = line
    self.column = column
  }

  /// A location for values built in code rather than read from a file.
  public static func synthetic(_ name: String) -> SourceLocation {
    SourceLocation(file: name, line: 0, column: 0)
  }

  public var description: String { "\(file):\(line):\(column)" }

  public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
    (lhs.file, lhs.line, lhs.column, lhs.document) < (rhs.file, rhs.line, rhs.column, rhs.document)
  }
}

/// How bad a diagnostic is: errors stop the run with exit code 2, warnings do not.
public enum Severity: String, Hashable, Comparable, Sendable {
  case error
  case warning
  case note

  private var rank: Int {
    switch self {
    case .error: 0
    case .warning: 1
    case .note: 2
    }
  }
  public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// A problem found in the input, as a value: it is collected, sorted and printed in one place.
public struct Diagnostic: Error, Hashable, Comparable, Sendable, CustomStringConvertible {
  public var severity: Severity
  /// A stable, machine-readable code such as `yaml-syntax` or `invalid-cidr`.
  public var code: DiagnosticCode
  public var message: String
  public var location: SourceLocation?

  public init(_ severity: Severity, code: DiagnosticCode, _ message: String, at location: SourceLocation?) {
    self.severity = severity
    self.code = code
    self.message = message
    self.location = location
  }

  public static func error(_ code: DiagnosticCode, _ message: String, at location: SourceLocation?) -> Diagnostic {
    Diagnostic(.error, code: code, message, at: location)
  }

  public static func warning(_ code: DiagnosticCode, _ message: String, at location: SourceLocation?)
    -> Diagnostic
  {
    Diagnostic(.warning, code: code, message, at: location)
  }

  /// `file:line:col: error: message [code]`, or `error: message [code]` without a location.
  public var description: String {
    let prefix = location.map { "\($0): " } ?? ""
    return "\(prefix)\(severity.rawValue): \(message) [\(code)]"
  }

  public static func < (lhs: Diagnostic, rhs: Diagnostic) -> Bool {
    switch (lhs.location, rhs.location) {
    case (nil, nil): break
    case (nil, _): return true
    case (_, nil): return false
    case (let l?, let r?): if l != r { return l < r }
    }
    return (lhs.severity, lhs.code, lhs.message) < (rhs.severity, rhs.code, rhs.message)
  }
}

/// A bag of diagnostics that knows whether the run may go on.
public struct Diagnostics: Sendable {
  public private(set) var items: [Diagnostic] = []
  public init() {}
  public mutating func append(_ diagnostic: Diagnostic) { items.append(diagnostic) }
  public mutating func append(contentsOf other: [Diagnostic]) { items.append(contentsOf: other) }
  public var hasErrors: Bool { items.contains { $0.severity == .error } }
  public var errors: [Diagnostic] { items.filter { $0.severity == .error } }
  public var warnings: [Diagnostic] { items.filter { $0.severity == .warning } }
  /// Sorted and without repeats, ready to print.
  public var sorted: [Diagnostic] { Array(Set(items)).sorted() }
}

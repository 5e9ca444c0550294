import CYAML
import KubeModel

/// Bounds that keep hostile input from exhausting memory or stack.
public struct YAMLLimits: Sendable {
  /// Deepest nesting of sequences and mappings.
  public var maxDepth: Int = 512
  /// Longest scalar, in bytes.
  public var maxScalarBytes: Int = 1 << 20
  /// Most nodes that aliases may expand to in one document.
  public var maxAliasExpansion: Int = 1_000_000

  public init(
    maxDepth: Int = 512, maxScalarBytes: Int = 1 << 20, maxAliasExpansion: Int = 1_000_000
  ) {
    self.maxDepth = maxDepth
    self.maxScalarBytes = maxScalarBytes
    self.maxAliasExpansion = maxAliasExpansion
  }
}

/// Streams the documents of a YAML (or JSON) byte buffer through libyaml's event parser into a
/// reused `YAMLDocument`, handing each finished document to a callback before parsing the next.
struct YAMLReader {
  /// An open sequence or mapping. Plain data, so the stack costs no reference counting.
  private struct Open {
    var kind: YAMLDocument.Kind
    /// Keys of this mapping may be skipped (it is not a map of labels).
    var skippable: Bool
    var line: Int32
    var column: Int32
    var pendingStart: Int32
    /// Index into `openAnchors`, or -1.
    var anchorSlot: Int32
  }

  let file: String
  let limits: YAMLLimits

  /// Parses `input`; returns the fatal problem that stopped parsing, if any. Documents before
  /// the problem have already been handed to `handler`.
  ///
  /// Non-fatal problems (repeated mapping keys) go to `report`. `lineOffset` and
  /// `documentOffset` place a slice of a larger input (a line of JSON Lines) in its file.
  func read(
    _ input: UnsafeBufferPointer<UInt8>, into doc: YAMLDocument, lineOffset: Int = 0,
    documentOffset: Int = 0, report: (Diagnostic) -> Void = { _ in },
    handler: (YAMLDocument, Int) -> Void
  ) -> Diagnostic? {
    let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
    defer { parser.deallocate() }
    guard yaml_parser_initialize(parser) == 1 else {
      return .error(.yamlSyntax, "cannot initialize the YAML parser", at: location(0, 0, 0))
    }
    defer { yaml_parser_delete(parser) }
    guard let base = input.baseAddress, input.count > 0 else { return nil }
    yaml_parser_set_input_string(parser, base, input.count)

    var event = yaml_event_t()
    var stack: [Open] = []
    var openAnchors: [String] = []
    // Finished children of the open containers; `top` entries are in use.
    var pending: [Int32] = []
    var top = 0
    var sizes: [Int] = []
    var anchors: [String: Int32] = [:]
    var expanded = 0
    var documentIndex = documentOffset
    // Skipping the value of an unread key: nesting depth inside it, and where it starts.
    var skipDepth = 0
    var skipLine = 0
    var skipColumn = 0
    var skipAnchor: String?
    // A null node standing for anchors defined inside skipped values.
    var placeholder: Int32 = -1
    stack.reserveCapacity(64)
    pending.reserveCapacity(1024)
    sizes.reserveCapacity(4096)

    func push(_ index: Int32) {
      if top < pending.count { pending[top] = index } else { pending.append(index) }
      top += 1
    }

    /// True when the next node is the value of an unread key of a structural mapping.
    func nextIsUnreadValue() -> Bool {
      guard let open = stack.last, open.skippable, (top - Int(open.pendingStart)) & 1 == 1 else {
        return false
      }
      return YAMLReader.isUnreadKey(doc.record(pending[top - 1]), doc)
    }

    func placeholderIndex(line: Int, column: Int) -> Int32 {
      if placeholder < 0 {
        placeholder = doc.appendNull(line: line, column: column)
        sizes.append(1)
      }
      return placeholder
    }

    while true {
      guard yaml_parser_parse(parser, &event) == 1 else {
        return parserError(
          parser.pointee, input: input, document: documentIndex, lineOffset: lineOffset)
      }
      defer { yaml_event_delete(&event) }
      let line = Int(event.start_mark.line) + lineOffset
      let column = Int(event.start_mark.column)
      if skipDepth > 0 {
        switch event.type {
        case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
          skipDepth += 1
          if stack.count + skipDepth > limits.maxDepth {
            return .error(
              .yamlTooDeep, "nesting deeper than \(limits.maxDepth) levels",
              at: location(line, column, documentIndex))
          }
          let anchor =
            event.type == YAML_SEQUENCE_START_EVENT
            ? event.data.sequence_start.anchor : event.data.mapping_start.anchor
          if let anchor {
            anchors[String(cString: anchor)] = placeholderIndex(line: line, column: column)
          }
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
          skipDepth -= 1
          if skipDepth == 0 {
            let index = doc.appendNull(line: skipLine, column: skipColumn)
            sizes.append(1)
            if let anchor = skipAnchor { anchors[anchor] = index }
            push(index)
          }
        case YAML_SCALAR_EVENT:
          if Int(event.data.scalar.length) > limits.maxScalarBytes {
            return .error(
              .yamlScalarTooLarge,
              "scalar of \(event.data.scalar.length) bytes exceeds the limit of \(limits.maxScalarBytes) bytes",
              at: location(line, column, documentIndex))
          }
          if let anchor = event.data.scalar.anchor {
            anchors[String(cString: anchor)] = placeholderIndex(line: line, column: column)
          }
        default:
          break
        }
        continue
      }
      switch event.type {
      case YAML_STREAM_END_EVENT:
        return nil
      case YAML_DOCUMENT_START_EVENT:
        doc.clear()
        sizes.removeAll(keepingCapacity: true)
        anchors.removeAll(keepingCapacity: true)
        openAnchors.removeAll(keepingCapacity: true)
        stack.removeAll(keepingCapacity: true)
        top = 0
        expanded = 0
        placeholder = -1
      case YAML_DOCUMENT_END_EVENT:
        handler(doc, documentIndex)
        documentIndex += 1
      case YAML_SCALAR_EVENT:
        let scalar = event.data.scalar
        let length = Int(scalar.length)
        if length > limits.maxScalarBytes {
          return .error(
            .yamlScalarTooLarge,
            "scalar of \(length) bytes exceeds the limit of \(limits.maxScalarBytes) bytes",
            at: location(line, column, documentIndex))
        }
        let index: Int32
        if nextIsUnreadValue() {
          index = doc.appendNull(line: line, column: column)
        } else {
          let type = YAMLReader.resolve(
            scalar.value, length: length, tag: scalar.tag,
            plain: scalar.style == YAML_PLAIN_SCALAR_STYLE)
          index = doc.appendScalar(
            scalar.value, length: length, type: type, line: line, column: column)
        }
        sizes.append(1)
        if let anchor = scalar.anchor { anchors[String(cString: anchor)] = index }
        if stack.isEmpty { doc.setRoot(index) } else { push(index) }
      case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
        if stack.count >= limits.maxDepth {
          return .error(
            .yamlTooDeep, "nesting deeper than \(limits.maxDepth) levels",
            at: location(line, column, documentIndex))
        }
        let isSequence = event.type == YAML_SEQUENCE_START_EVENT
        let anchor =
          isSequence ? event.data.sequence_start.anchor : event.data.mapping_start.anchor
        if nextIsUnreadValue() {
          skipDepth = 1
          skipLine = line
          skipColumn = column
          skipAnchor = anchor.map { String(cString: $0) }
          break
        }
        var anchorSlot: Int32 = -1
        if let anchor {
          anchorSlot = Int32(truncatingIfNeeded: openAnchors.count)
          openAnchors.append(String(cString: anchor))
        }
        // A mapping that is the value of a label-map key holds user data: never skip its keys.
        var skippable = !isSequence
        if skippable, let parent = stack.last, parent.kind == .mapping, top > 0,
          (top - Int(parent.pendingStart)) & 1 == 1
        {
          skippable = !YAMLReader.isDataMapKey(doc.record(pending[top - 1]), doc)
        }
        stack.append(
          Open(
            kind: isSequence ? .sequence : .mapping, skippable: skippable,
            line: Int32(truncatingIfNeeded: line), column: Int32(truncatingIfNeeded: column),
            pendingStart: Int32(truncatingIfNeeded: top), anchorSlot: anchorSlot))
      case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
        guard let open = stack.popLast() else { break }
        let start = Int(open.pendingStart)
        let childSlice = pending[start..<top]
        if open.kind == .mapping, top - start >= 4 {
          checkRepeatedKeys(childSlice, doc, topLevel: stack.isEmpty, document: documentIndex, report)
        }
        var size = 1
        for child in childSlice { size &+= sizes[Int(child)] }
        let index = doc.appendContainer(
          open.kind, line: Int(open.line), column: Int(open.column), children: childSlice)
        top = start
        sizes.append(size)
        if open.anchorSlot >= 0 { anchors[openAnchors[Int(open.anchorSlot)]] = index }
        if stack.isEmpty { doc.setRoot(index) } else { push(index) }
      case YAML_ALIAS_EVENT:
        guard let name = YAMLReader.string(event.data.alias.anchor), let target = anchors[name]
        else {
          return .error(
            .yamlSyntax, "alias to an unknown or unfinished anchor",
            at: location(line, column, documentIndex))
        }
        let size = sizes[Int(target)]
        expanded &+= size
        if expanded > limits.maxAliasExpansion || size < 0 {
          return .error(
            .yamlAliasExpansion,
            "aliases expand to more than \(limits.maxAliasExpansion) nodes",
            at: location(line, column, documentIndex))
        }
        if stack.isEmpty { doc.setRoot(target) } else { push(target) }
      default:
        break
      }
    }
  }

  /// Keys whose values no decoder reads (container details, status detail, object data): their
  /// subtrees are parsed and checked by libyaml but not stored. (Annotations are read: the
  /// mesh needs `sidecar.istio.io/status` and `sidecar.istio.io/inject`.)
  private static let unreadKeys: [[UInt8]] = [
    "managedFields", "env", "envFrom", "resources", "livenessProbe",
    "readinessProbe",
    "startupProbe", "volumeMounts", "volumes", "args", "command", "lifecycle", "securityContext",
    "affinity",
    "tolerations", "data", "stringData", "binaryData", "image", "imagePullPolicy", "nodeSelector",
    "initContainers", "dnsConfig", "topologySpreadConstraints", "conditions", "containerStatuses",
  ].map { Array($0.utf8) }

  /// (length, first byte, last byte) of every unread key, for a cheap first test.
  private static let unreadSignatures: [UInt32] = unreadKeys.map {
    signature($0.count, $0[0], $0[$0.count - 1])
  }

  private static func signature(_ count: Int, _ first: UInt8, _ last: UInt8) -> UInt32 {
    UInt32(truncatingIfNeeded: count) << 16 | UInt32(first) << 8 | UInt32(last)
  }

  private static func isUnreadKey(_ key: YAMLDocument.Record, _ doc: YAMLDocument) -> Bool {
    guard key.kind == .scalar, key.count >= 3, key.count <= 25 else { return false }
    var unread = false
    doc.withScalarBytes(key) { bytes in
      let sig = signature(bytes.count, bytes[0], bytes[bytes.count - 1])
      for (i, candidate) in unreadSignatures.enumerated() where candidate == sig {
        if unreadKeys[i].withUnsafeBufferPointer({ $0.elementsEqual(bytes) }) {
          unread = true
          return
        }
      }
    }
    return unread
  }

  private static func isDataMapKey(_ key: YAMLDocument.Record, _ doc: YAMLDocument) -> Bool {
    doc.scalarEquals(key, "labels") || doc.scalarEquals(key, "matchLabels")
      || doc.scalarEquals(key, "selector")
  }

  private func location(_ line: Int, _ column: Int, _ document: Int) -> SourceLocation {
    SourceLocation(file: file, document: document, line: line + 1, column: column + 1)
  }

  /// Reports every key of a finished mapping that repeats an earlier one, at the repeat, as
  /// Kubernetes' strict YAML decoding does. At the top level of a document, two objects have most
  /// likely been fused by a missing `---`.
  private func checkRepeatedKeys(
    _ children: ArraySlice<Int32>, _ doc: YAMLDocument, topLevel: Bool, document: Int,
    _ report: (Diagnostic) -> Void
  ) {
    let pairCount = children.count / 2
    let base = children.startIndex
    // Small mappings (nearly all) compare bytes pairwise, without allocating.
    var firstByText: [String: Int32] = [:]
    for i in 0..<pairCount {
      let key = children[base + 2 * i]
      let record = doc.record(key)
      guard record.kind == .scalar else { continue }
      var first: Int32?
      if pairCount <= 16 {
        for j in 0..<i {
          let other = doc.record(children[base + 2 * j])
          if other.kind == .scalar, doc.scalarBytesEqual(other, record) {
            first = children[base + 2 * j]
            break
          }
        }
      } else {
        let text = doc.text(record)
        first = firstByText[text]
        if first == nil { firstByText[text] = key }
      }
      guard let first else { continue }
      let text = doc.text(record)
      if text == "<<" { continue }
      let firstLine = doc.record(first).line
      var message =
        "mapping key '\(text.prefix(60))' is repeated (lines \(firstLine) and \(record.line)); "
        + "the second value would be lost"
      if topLevel {
        message += "; is a '---' document separator missing between two objects?"
      }
      report(
        .error(
          .duplicateKey, message,
          at: location(Int(record.line) - 1, Int(record.column) - 1, document)))
      // Two fused objects repeat every key: one error says it.
      if topLevel { return }
    }
  }

  private func parserError(
    _ parser: yaml_parser_t, input: UnsafeBufferPointer<UInt8>, document: Int, lineOffset: Int
  )
    -> Diagnostic
  {
    let problem = parser.problem.map { String(cString: $0) } ?? "unknown error"
    if parser.error == YAML_READER_ERROR {
      let offset = min(Int(parser.problem_offset), input.count)
      var line = 0
      var lineStart = 0
      for i in 0..<offset where input[i] == 0x0A {
        line += 1
        lineStart = i + 1
      }
      return .error(
        .invalidEncoding, "input is not valid UTF-8 text: \(problem)",
        at: location(line + lineOffset, offset - lineStart, document))
    }
    var message = "YAML syntax error: \(problem)"
    if let context = parser.context.map({ String(cString: $0) }) { message += " (\(context))" }
    let mark = parser.problem_mark
    return .error(
      .yamlSyntax, message,
      at: location(Int(mark.line) + lineOffset, Int(mark.column), document))
  }

  private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
    guard let pointer else { return nil }
    return String(cString: pointer)
  }

  /// Resolves a scalar's type from its tag, or for untagged plain scalars from its text.
  static func resolve(
    _ value: UnsafePointer<UInt8>?, length: Int, tag: UnsafePointer<UInt8>?, plain: Bool
  )
    -> YAMLDocument.ScalarType
  {
    if let tag {
      switch String(cString: tag) {
      case "tag:yaml.org,2002:int": return .int
      case "tag:yaml.org,2002:bool": return .bool
      case "tag:yaml.org,2002:null": return .null
      case "tag:yaml.org,2002:float": return .float
      default: return .string
      }
    }
    guard plain else { return .string }
    guard let value, length > 0 else { return .null }
    return resolvePlain(UnsafeBufferPointer(start: value, count: length))
  }

  private static let keywords: [(text: [UInt8], type: YAMLDocument.ScalarType)] = {
    let table: [(String, YAMLDocument.ScalarType)] =
      ["null", "Null", "NULL"].map { ($0, .null) }
      + [
        "true", "True", "TRUE", "false", "False", "FALSE", "yes", "Yes", "YES", "no", "No", "NO",
        "on", "On", "ON",
        "off", "Off", "OFF",
      ].map { ($0, .bool) }
      + [".inf", ".Inf", ".INF", "+.inf", "-.inf", "+.Inf", "-.Inf", ".nan", ".NaN", ".NAN"].map {
        ($0, .float)
      }
    return table.map { (Array($0.0.utf8), $0.1) }
  }()

  /// The type of a null, boolean or special float keyword; nil for anything else.
  private static func keywordType(_ b: UnsafeBufferPointer<UInt8>) -> YAMLDocument.ScalarType? {
    for entry in keywords where entry.text.count == b.count {
      if entry.text.withUnsafeBufferPointer({ $0.elementsEqual(b) }) { return entry.type }
    }
    return nil
  }

  /// The core-schema type of an untagged plain scalar.
  static func resolvePlain(_ b: UnsafeBufferPointer<UInt8>) -> YAMLDocument.ScalarType {
    guard let first = b.first else { return .null }
    let isDigit = { (c: UInt8) in c >= 0x30 && c <= 0x39 }
    switch first {
    case 0x2B, 0x2D, 0x2E:
      if b.count <= 5, let keyword = keywordType(b) { return keyword }
    case 0x30...0x39:
      break
    case 0x7E:
      return b.count == 1 ? .null : .string
    case 0x6E, 0x4E, 0x74, 0x54, 0x66, 0x46, 0x79, 0x59, 0x6F, 0x4F:
      return b.count <= 5 ? keywordType(b) ?? .string : .string
    default:
      return .string
    }
    var i = 0
    if b[0] == 0x2D || b[0] == 0x2B { i = 1 }
    guard i < b.count else { return .string }
    if b.count - i > 2 && b[i] == 0x30 && (b[i + 1] == 0x78 || b[i + 1] == 0x6F) {
      let hex = b[i + 1] == 0x78
      for c in b[(i + 2)...] {
        let ok =
          hex ? (isDigit(c) || (c | 0x20 >= 0x61 && c | 0x20 <= 0x66)) : (c >= 0x30 && c <= 0x37)
        if !ok { return .string }
      }
      return .int
    }
    var digits = 0
    var dot = false
    var exponent = false
    var j = i
    while j < b.count {
      let c = b[j]
      if isDigit(c) {
        digits += 1
      } else if c == 0x2E && !dot && !exponent {
        dot = true
      } else if (c == 0x65 || c == 0x45) && digits > 0 && !exponent {
        exponent = true
        if j + 1 < b.count && (b[j + 1] == 0x2D || b[j + 1] == 0x2B) { j += 1 }
        if j + 1 >= b.count { return .string }
      } else {
        return .string
      }
      j += 1
    }
    if digits == 0 { return .string }
    return dot || exponent ? .float : .int
  }
}

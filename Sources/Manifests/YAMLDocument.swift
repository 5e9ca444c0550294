/// One parsed YAML document as a flat, compact node array. The reader reuses one instance for
/// every document of a stream: it is filled, decoded, then cleared.
final class YAMLDocument {
  /// The kind of a node.
  enum Kind: UInt8 {
    case scalar
    case sequence
    case mapping
  }

  /// How a scalar resolves under the YAML core schema (with the usual 1.1 booleans).
  enum ScalarType: UInt8 {
    case string
    case int
    case bool
    case null
    case float
  }

  /// One node. Scalars point into `bytes`; containers into `children` (a mapping's children
  /// alternate key, value).
  struct Record {
    var kind: Kind
    var type: ScalarType
    var line: Int32
    var column: Int32
    var start: Int32
    var count: Int32
  }

  private(set) var records: [Record] = []
  private(set) var children: [Int32] = []
  private(set) var bytes: [UInt8] = []
  private var rootIndex: Int32 = -1

  init() {
    records.reserveCapacity(4096)
    children.reserveCapacity(4096)
    bytes.reserveCapacity(65536)
  }

  /// Index of the root node, when the document has one.
  var root: Int32? { rootIndex >= 0 ? rootIndex : nil }

  func clear() {
    records.removeAll(keepingCapacity: true)
    children.removeAll(keepingCapacity: true)
    bytes.removeAll(keepingCapacity: true)
    rootIndex = -1
  }

  func setRoot(_ index: Int32) { rootIndex = index }

  func appendScalar(
    _ pointer: UnsafePointer<UInt8>?, length: Int, type: ScalarType, line: Int, column: Int
  ) -> Int32 {
    let start = Int32(truncatingIfNeeded: bytes.count)
    if let pointer, length > 0 {
      bytes.append(contentsOf: UnsafeBufferPointer(start: pointer, count: length))
    }
    records.append(
      Record(
        kind: .scalar, type: type, line: Int32(truncatingIfNeeded: line + 1),
        column: Int32(truncatingIfNeeded: column + 1), start: start,
        count: Int32(truncatingIfNeeded: length)))
    return Int32(truncatingIfNeeded: records.count - 1)
  }

  /// Appends a container whose children are `pending`.
  func appendContainer(_ kind: Kind, line: Int, column: Int, children pending: ArraySlice<Int32>)
    -> Int32
  {
    let start = Int32(truncatingIfNeeded: children.count)
    children.append(contentsOf: pending)
    records.append(
      Record(
        kind: kind, type: .string, line: Int32(truncatingIfNeeded: line + 1),
        column: Int32(truncatingIfNeeded: column + 1), start: start,
        count: Int32(truncatingIfNeeded: pending.count)))
    return Int32(truncatingIfNeeded: records.count - 1)
  }

  @inline(__always) func record(_ index: Int32) -> Record { records[Int(index)] }

  @inline(__always) func child(_ record: Record, _ offset: Int) -> Int32 {
    children[Int(record.start) + offset]
  }

  /// The scalar text of a record.
  func text(_ record: Record) -> String {
    bytes.withUnsafeBufferPointer { buffer in
      let start = Int(record.start)
      let slice = UnsafeBufferPointer(rebasing: buffer[start..<start + Int(record.count)])
      return String(decoding: slice, as: UTF8.self)
    }
  }

  /// True when the scalar's bytes equal `key`.
  func scalarEquals(_ record: Record, _ key: StaticString) -> Bool {
    guard record.kind == .scalar, Int(record.count) == key.utf8CodeUnitCount else { return false }
    let keyBytes = UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)
    return bytes.withUnsafeBufferPointer { buffer in
      let base = Int(record.start)
      for i in 0..<keyBytes.count where buffer[base + i] != keyBytes[i] { return false }
      return true
    }
  }
}

/// A node of a `YAMLDocument`, valid while the document holds its current contents.
struct YNode {
  let doc: YAMLDocument
  let index: Int32

  var record: YAMLDocument.Record { doc.record(index) }
  var kind: YAMLDocument.Kind { record.kind }
  var line: Int { Int(record.line) }
  var column: Int { Int(record.column) }
  var isMapping: Bool { record.kind == .mapping }
  var isSequence: Bool { record.kind == .sequence }
  var isScalar: Bool { record.kind == .scalar }
  /// A null scalar (`~`, `null`, empty, or tagged `!!null`).
  var isNull: Bool {
    let r = record
    return r.kind == .scalar && r.type == .null
  }
  var scalarType: YAMLDocument.ScalarType { record.type }

  /// The scalar text (empty for containers).
  var text: String {
    let r = record
    return r.kind == .scalar ? doc.text(r) : ""
  }

  func textEquals(_ s: StaticString) -> Bool { doc.scalarEquals(record, s) }

  /// The value of `key` in a mapping; nil when absent or when this is not a mapping.
  subscript(key: StaticString) -> YNode? {
    let r = record
    guard r.kind == .mapping else { return nil }
    var i = 0
    let n = Int(r.count)
    while i + 1 < n {
      let k = doc.child(r, i)
      if doc.scalarEquals(doc.record(k), key) { return YNode(doc: doc, index: doc.child(r, i + 1)) }
      i += 2
    }
    return nil
  }

  /// The items of a sequence (empty otherwise).
  var items: [YNode] {
    let r = record
    guard r.kind == .sequence else { return [] }
    return (0..<Int(r.count)).map { YNode(doc: doc, index: doc.child(r, $0)) }
  }

  /// The key/value pairs of a mapping (empty otherwise).
  var pairs: [(key: YNode, value: YNode)] {
    let r = record
    guard r.kind == .mapping else { return [] }
    return stride(from: 0, to: Int(r.count) - 1, by: 2).map {
      (YNode(doc: doc, index: doc.child(r, $0)), YNode(doc: doc, index: doc.child(r, $0 + 1)))
    }
  }

  /// True when the mapping has at least one key.
  var hasEntries: Bool { record.count > 0 }
}

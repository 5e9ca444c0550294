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

  @exclusivity(unchecked) private(set) var records: [Record] = []
  @exclusivity(unchecked) private(set) var children: [Int32] = []
  @exclusivity(unchecked) private(set) var bytes: [UInt8] = []
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

  /// Appends a null scalar standing for a value that is not stored.
  func appendNull(line: Int, column: Int) -> Int32 {
    records.append(
      Record(
        kind: .scalar, type: .null, line: Int32(truncatingIfNeeded: line + 1),
        column: Int32(truncatingIfNeeded: column + 1),
        start: Int32(truncatingIfNeeded: bytes.count), count: 0))
    return Int32(truncatingIfNeeded: records.count - 1)
  }

  /// Calls `body` with the bytes of a scalar record.
  func withScalarBytes(_ record: Record, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
    bytes.withUnsafeBufferPointer { buffer in
      let start = Int(record.start)
      body(UnsafeBufferPointer(rebasing: buffer[start..<start + Int(record.count)]))
    }
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

  /// In the mapping at `index`: the value of `key` (-1 when absent) and the value of the first
  /// merge key `<<` (-1 when none). One pass over the keys, without reference counting.
  func find(_ key: StaticString, inMapping index: Int32) -> (value: Int32, merge: Int32) {
    let keyCount = key.utf8CodeUnitCount
    let keyStart = key.utf8Start
    return records.withUnsafeBufferPointer { records in
      children.withUnsafeBufferPointer { children in
        bytes.withUnsafeBufferPointer { bytes in
          let r = records[Int(index)]
          var merge: Int32 = -1
          var i = Int(r.start)
          let end = i + Int(r.count) - 1
          while i < end {
            let k = records[Int(children[i])]
            if k.kind == .scalar {
              let base = Int(k.start)
              if Int(k.count) == keyCount {
                var equal = true
                for j in 0..<keyCount where bytes[base + j] != keyStart[j] {
                  equal = false
                  break
                }
                if equal { return (children[i + 1], merge) }
              } else if k.count == 2 && merge < 0 && bytes[base] == 0x3C && bytes[base + 1] == 0x3C {
                merge = children[i + 1]
              }
            }
            i += 2
          }
          return (-1, merge)
        }
      }
    }
  }

  /// The scalar text of a record.
  func text(_ record: Record) -> String {
    bytes.withUnsafeBufferPointer { buffer in
      let start = Int(record.start)
      let slice = UnsafeBufferPointer(rebasing: buffer[start..<start + Int(record.count)])
      return String(decoding: slice, as: UTF8.self)
    }
  }

  /// True when two scalar records hold the same bytes.
  func scalarBytesEqual(_ a: Record, _ b: Record) -> Bool {
    guard a.count == b.count else { return false }
    return bytes.withUnsafeBufferPointer { buffer in
      let x = Int(a.start)
      let y = Int(b.start)
      for i in 0..<Int(a.count) where buffer[x + i] != buffer[y + i] { return false }
      return true
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
  /// Unowned: a node never outlives the decoding of its document.
  unowned(unsafe) let doc: YAMLDocument
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

  /// The scalar as an integer: decimal digits with an optional sign, or `0x`/`0o` forms.
  var intValue: Int? {
    let r = record
    guard r.kind == .scalar, r.count > 0, r.count <= 18 else {
      return r.kind == .scalar ? DecodeContext.parseInt(text) : nil
    }
    let fast: Int?? = doc.bytes.withUnsafeBufferPointer { buffer in
      var i = Int(r.start)
      let end = i + Int(r.count)
      var negative = false
      if buffer[i] == 0x2D || buffer[i] == 0x2B {
        negative = buffer[i] == 0x2D
        i += 1
      }
      guard i < end else { return .some(nil) }
      var value = 0
      while i < end {
        let c = buffer[i]
        guard c >= 0x30 && c <= 0x39 else { return nil }
        value = value * 10 + Int(c - 0x30)
        i += 1
      }
      return .some(negative ? -value : value)
    }
    if let fast { return fast }
    return DecodeContext.parseInt(text)
  }

  /// The value of `key` in a mapping; nil when absent or when this is not a mapping. Keys merged
  /// with `<<` count when the mapping does not set them itself.
  subscript(key: StaticString) -> YNode? { lookup(key, depth: 0) }

  /// True when this scalar is the merge key `<<`.
  var isMergeKey: Bool { doc.scalarEquals(record, "<<") }

  /// Deepest chain of `<<` merges followed.
  static let maxMergeDepth = 16

  private func lookup(_ key: StaticString, depth: Int) -> YNode? {
    guard record.kind == .mapping else { return nil }
    let (value, merge) = doc.find(key, inMapping: index)
    if value >= 0 { return YNode(doc: doc, index: value) }
    guard merge >= 0, depth < YNode.maxMergeDepth else { return nil }
    let source = YNode(doc: doc, index: merge)
    if source.isMapping { return source.lookup(key, depth: depth + 1) }
    for item in source.items where item.isMapping {
      if let found = item.lookup(key, depth: depth + 1) { return found }
    }
    return nil
  }

  /// The items of a sequence (empty otherwise).
  var items: YChildren {
    let r = record
    guard r.kind == .sequence else { return [] }
    return YChildren(doc: doc, start: Int(r.start), count: Int(r.count))
  }

  /// The key/value pairs of a mapping (empty otherwise).
  var pairs: YPairs {
    let r = record
    guard r.kind == .mapping else { return YPairs(doc: doc, start: 0, count: 0) }
    return YPairs(doc: doc, start: Int(r.start), count: Int(r.count) / 2)
  }

  /// True when the mapping has at least one key.
  var hasEntries: Bool { record.count > 0 }
}

/// The items of a sequence node, without copying them out.
struct YChildren: RandomAccessCollection, ExpressibleByArrayLiteral {
  unowned(unsafe) let doc: YAMLDocument?
  let start: Int
  let count: Int

  init(doc: YAMLDocument, start: Int, count: Int) {
    self.doc = doc
    self.start = start
    self.count = count
  }

  /// The empty list; only `[]` is meaningful as a literal.
  init(arrayLiteral elements: YNode...) {
    doc = nil
    start = 0
    count = 0
  }

  var startIndex: Int { 0 }
  var endIndex: Int { count }

  subscript(position: Int) -> YNode {
    // `position` is always within 0..<count for a non-empty collection, which has a document.
    let doc = self.doc.unsafelyUnwrapped
    return YNode(doc: doc, index: doc.children[start + position])
  }
}

/// The key/value pairs of a mapping node, without copying them out.
struct YPairs: RandomAccessCollection {
  unowned(unsafe) let doc: YAMLDocument
  let start: Int
  let count: Int

  var startIndex: Int { 0 }
  var endIndex: Int { count }

  subscript(position: Int) -> (key: YNode, value: YNode) {
    let base = start + 2 * position
    return (
      YNode(doc: doc, index: doc.children[base]), YNode(doc: doc, index: doc.children[base + 1])
    )
  }
}

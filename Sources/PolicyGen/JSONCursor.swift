import Foundation

/// A JSON syntax error at a byte offset of the text being scanned.
struct JSONSyntaxError: Error {
  var offset: Int
  var message: String
}

/// A forward-only scanner over the bytes of one JSON value, for the flow readers: objects and
/// arrays are walked key by key, values that are not needed are skipped without building them.
struct JSONCursor {
  let bytes: UnsafeBufferPointer<UInt8>
  var position: Int
  /// Nesting bound against hostile input.
  var depth = 0
  static let maxDepth = 256

  init(_ bytes: UnsafeBufferPointer<UInt8>) {
    self.bytes = bytes
    self.position = 0
  }

  func fail(_ message: String) -> JSONSyntaxError { JSONSyntaxError(offset: position, message: message) }

  mutating func skipWhitespace() {
    while position < bytes.count {
      let b = bytes[position]
      if b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { position += 1 } else { return }
    }
  }

  /// The next significant byte, without consuming it (0 at the end).
  mutating func peek() -> UInt8 {
    skipWhitespace()
    return position < bytes.count ? bytes[position] : 0
  }

  mutating func expect(_ byte: UInt8) throws(JSONSyntaxError) {
    guard peek() == byte else {
      throw fail(position < bytes.count ? "expected '\(Character(Unicode.Scalar(byte)))'" : "unexpected end of line")
    }
    position += 1
  }

  /// Whether the whole input was consumed (only whitespace remains).
  mutating func atEnd() -> Bool { peek() == 0 && position >= bytes.count }

  // MARK: containers

  mutating func beginObject() throws(JSONSyntaxError) {
    try expect(UInt8(ascii: "{"))
    depth += 1
    if depth > Self.maxDepth { throw fail("nesting deeper than \(Self.maxDepth)") }
    first = true
  }

  /// Per open container (bit `depth - 1`): set while no element has been read (no comma
  /// before the next one). Four words cover `maxDepth`; no allocation per line.
  private var firstBits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
  private var first: Bool {
    get {
      guard depth > 0 else { return true }
      let i = depth - 1
      let word: UInt64
      switch i >> 6 {
      case 0: word = firstBits.0
      case 1: word = firstBits.1
      case 2: word = firstBits.2
      default: word = firstBits.3
      }
      return word >> UInt64(i & 63) & 1 == 1
    }
    set {
      guard depth > 0 else { return }
      let i = depth - 1
      let bit = UInt64(1) << UInt64(i & 63)
      switch i >> 6 {
      case 0: firstBits.0 = newValue ? firstBits.0 | bit : firstBits.0 & ~bit
      case 1: firstBits.1 = newValue ? firstBits.1 | bit : firstBits.1 & ~bit
      case 2: firstBits.2 = newValue ? firstBits.2 | bit : firstBits.2 & ~bit
      default: firstBits.3 = newValue ? firstBits.3 | bit : firstBits.3 & ~bit
      }
    }
  }

  /// The next key of the current object (its raw bytes, escapes not decoded), positioned at
  /// its value; nil after the closing brace.
  mutating func nextKey() throws(JSONSyntaxError) -> UnsafeBufferPointer<UInt8>? {
    let b = peek()
    if b == UInt8(ascii: "}") {
      position += 1
      close()
      return nil
    }
    if !first {
      guard b == UInt8(ascii: ",") else { throw fail("expected ',' or '}'") }
      position += 1
    }
    first = false
    guard peek() == UInt8(ascii: "\"") else { throw fail("expected a key") }
    let key = try rawString()
    try expect(UInt8(ascii: ":"))
    return key
  }

  mutating func beginArray() throws(JSONSyntaxError) {
    try expect(UInt8(ascii: "["))
    depth += 1
    if depth > Self.maxDepth { throw fail("nesting deeper than \(Self.maxDepth)") }
    first = true
  }

  /// Whether another element follows (positioned at it); false after the closing bracket.
  mutating func nextElement() throws(JSONSyntaxError) -> Bool {
    let b = peek()
    if b == UInt8(ascii: "]") {
      position += 1
      close()
      return false
    }
    if !first {
      guard b == UInt8(ascii: ",") else { throw fail("expected ',' or ']'") }
      position += 1
    }
    first = false
    return true
  }

  private mutating func close() { depth -= 1 }

  // MARK: scalars

  /// A string's raw bytes between the quotes (escapes kept as written).
  mutating func rawString() throws(JSONSyntaxError) -> UnsafeBufferPointer<UInt8> {
    try expect(UInt8(ascii: "\""))
    let start = position
    guard let base = bytes.baseAddress else { throw fail("unterminated string") }
    var from = position
    while from < bytes.count {
      guard let hit = memchr(base + from, 0x22, bytes.count - from) else { break }
      let quote = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
      // Escaped when preceded by an odd number of backslashes.
      var backslashes = 0
      while quote - backslashes - 1 >= start && bytes[quote - backslashes - 1] == UInt8(ascii: "\\") {
        backslashes += 1
      }
      if backslashes & 1 == 1 {
        from = quote + 1
        continue
      }
      position = quote + 1
      return UnsafeBufferPointer(rebasing: bytes[start..<quote])
    }
    position = bytes.count
    throw fail("unterminated string")
  }

  /// A decoded string.
  mutating func string() throws(JSONSyntaxError) -> String {
    let raw = try rawString()
    guard raw.contains(UInt8(ascii: "\\")) else { return String(decoding: raw, as: UTF8.self) }
    var out: [UInt8] = []
    out.reserveCapacity(raw.count)
    var i = 0
    while i < raw.count {
      let b = raw[i]
      guard b == UInt8(ascii: "\\"), i + 1 < raw.count else {
        out.append(b)
        i += 1
        continue
      }
      let e = raw[i + 1]
      i += 2
      switch e {
      case UInt8(ascii: "n"): out.append(0x0A)
      case UInt8(ascii: "t"): out.append(0x09)
      case UInt8(ascii: "r"): out.append(0x0D)
      case UInt8(ascii: "b"): out.append(0x08)
      case UInt8(ascii: "f"): out.append(0x0C)
      case UInt8(ascii: "u"):
        guard i + 4 <= raw.count, let v = UInt32(String(decoding: raw[i..<i + 4], as: UTF8.self), radix: 16)
        else { throw fail("bad \\u escape") }
        i += 4
        let scalar = Unicode.Scalar(v) ?? "\u{FFFD}"
        out.append(contentsOf: Array(String(Character(scalar)).utf8))
      default: out.append(e)
      }
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// An integer (a number without fraction or exponent).
  mutating func int() throws(JSONSyntaxError) -> Int {
    _ = peek()
    var negative = false
    if position < bytes.count && bytes[position] == UInt8(ascii: "-") {
      negative = true
      position += 1
    }
    var value = 0
    var digits = 0
    while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39 {
      let (m, o1) = value.multipliedReportingOverflow(by: 10)
      let (s, o2) = m.addingReportingOverflow(Int(bytes[position] - 0x30))
      if o1 || o2 { throw fail("number out of range") }
      value = s
      digits += 1
      position += 1
    }
    guard digits > 0 else { throw fail("expected a number") }
    if position < bytes.count,
      bytes[position] == UInt8(ascii: ".") || bytes[position] == UInt8(ascii: "e")
        || bytes[position] == UInt8(ascii: "E")
    {
      throw fail("expected a whole number")
    }
    return negative ? -value : value
  }

  /// `true` or `false`.
  mutating func bool() throws(JSONSyntaxError) -> Bool {
    if literal("true") { return true }
    if literal("false") { return false }
    throw fail("expected true or false")
  }

  /// Consumes `null` when it comes next.
  mutating func null() -> Bool { literal("null") }

  private mutating func literal(_ word: StaticString) -> Bool {
    _ = peek()
    let n = word.utf8CodeUnitCount
    guard position + n <= bytes.count else { return false }
    let p = word.utf8Start
    for k in 0..<n where bytes[position + k] != p[k] { return false }
    position += n
    return true
  }

  /// Skips one value of any kind.
  mutating func skipValue() throws(JSONSyntaxError) {
    switch peek() {
    case UInt8(ascii: "{"):
      try beginObject()
      while try nextKey() != nil { try skipValue() }
    case UInt8(ascii: "["):
      try beginArray()
      while try nextElement() { try skipValue() }
    case UInt8(ascii: "\""):
      _ = try rawString()
    case UInt8(ascii: "t"), UInt8(ascii: "f"):
      _ = try bool()
    case UInt8(ascii: "n"):
      guard null() else { throw fail("unexpected value") }
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
      let start = position
      while position < bytes.count {
        let b = bytes[position]
        if (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: "-") || b == UInt8(ascii: "+") || b == UInt8(ascii: ".")
          || b == UInt8(ascii: "e") || b == UInt8(ascii: "E")
        {
          position += 1
        } else {
          break
        }
      }
      if position == start { throw fail("bad number") }
    case 0:
      throw fail("unexpected end of line")
    default:
      throw fail("unexpected character")
    }
  }
}

/// Whether raw bytes equal a static string.
func bytesEqual(_ raw: UnsafeBufferPointer<UInt8>, _ s: StaticString) -> Bool {
  let n = s.utf8CodeUnitCount
  guard raw.count == n else { return false }
  guard n > 0, let base = raw.baseAddress else { return true }
  return memcmp(base, s.utf8Start, n) == 0
}

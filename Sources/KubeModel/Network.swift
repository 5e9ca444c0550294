/// A layer-4 protocol that NetworkPolicy distinguishes.
public enum TransportProtocol: String, Hashable, Comparable, Sendable, CaseIterable, Codable {
  case tcp = "TCP"
  case udp = "UDP"
  case sctp = "SCTP"

  public static func < (lhs: TransportProtocol, rhs: TransportProtocol) -> Bool {
    lhs.rawValue < rhs.rawValue
  }
}

/// An inclusive range of port numbers, within 1...65535.
public struct PortRange: Hashable, Comparable, Sendable, CustomStringConvertible {
  public var lower: Int
  public var upper: Int

  public init(_ lower: Int, _ upper: Int) {
    self.lower = lower
    self.upper = upper
  }

  public static let all = PortRange(1, 65535)

  public func contains(_ port: Int) -> Bool { port >= lower && port <= upper }

  public var description: String { lower == upper ? "\(lower)" : "\(lower)-\(upper)" }

  public static func < (lhs: PortRange, rhs: PortRange) -> Bool {
    (lhs.lower, lhs.upper) < (rhs.lower, rhs.upper)
  }
}

/// A port given by number or by name, as in NetworkPolicy ports and Service target ports.
public enum PortValue: Hashable, Sendable, CustomStringConvertible {
  case number(Int)
  case name(String)

  public var description: String {
    switch self {
    case .number(let n): "\(n)"
    case .name(let s): s
    }
  }
}

/// An IP address family.
public enum IPFamily: Int, Hashable, Comparable, Sendable, CaseIterable {
  case v4 = 4
  case v6 = 6

  /// The number of bits in an address of this family.
  public var bitWidth: Int { self == .v4 ? 32 : 128 }
  /// The largest address of this family.
  public var maxAddress: UInt128 { self == .v4 ? UInt128(UInt32.max) : UInt128.max }

  public static func < (lhs: IPFamily, rhs: IPFamily) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One IPv4 or IPv6 address, kept as an unsigned number.
public struct IPAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
  public var family: IPFamily
  public var value: UInt128

  public init(family: IPFamily, value: UInt128) {
    self.family = family
    self.value = value
  }

  /// Parses dotted IPv4 or RFC 4291 IPv6 text; nil when it is neither.
  public init?(_ text: some StringProtocol) {
    if text.contains(":") {
      guard let v = IPAddress.parseV6(Substring(text)) else { return nil }
      self.init(family: .v6, value: v)
    } else {
      guard let v = IPAddress.parseV4(Substring(text)) else { return nil }
      self.init(family: .v4, value: UInt128(v))
    }
  }

  static func parseV4(_ text: Substring) -> UInt32? {
    var result: UInt32 = 0
    var octet: UInt32 = 0
    var digits = 0
    var dots = 0
    for byte in text.utf8 {
      if byte == UInt8(ascii: ".") {
        guard digits > 0, dots < 3 else { return nil }
        result = result << 8 | octet
        octet = 0
        digits = 0
        dots += 1
      } else if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
        digits += 1
        octet = octet * 10 + UInt32(byte - UInt8(ascii: "0"))
        guard digits <= 3, octet <= 255 else { return nil }
      } else {
        return nil
      }
    }
    guard dots == 3, digits > 0 else { return nil }
    return result << 8 | octet
  }

  static func parseV6(_ text: Substring) -> UInt128? {
    var text = text
    var tailV4: UInt32? = nil
    if let lastColon = text.lastIndex(of: ":"), text[lastColon...].contains(".") {
      guard let v4 = parseV4(text[text.index(after: lastColon)...]) else { return nil }
      tailV4 = v4
      text = text[...lastColon] + "0:0"
    }
    let halves = splitOnDoubleColon(String(text))
    guard halves.count <= 2 else { return nil }
    func groups(_ s: String) -> [UInt16]? {
      if s.isEmpty { return [] }
      var out: [UInt16] = []
      for g in s.split(separator: ":", omittingEmptySubsequences: false) {
        guard !g.isEmpty, g.count <= 4, let n = UInt16(g, radix: 16) else { return nil }
        out.append(n)
      }
      return out
    }
    guard let head = groups(halves[0]) else { return nil }
    var all = head
    if halves.count == 2 {
      guard let tail = groups(halves[1]), head.count + tail.count <= 7 else { return nil }
      all += Array(repeating: 0, count: 8 - head.count - tail.count) + tail
    }
    guard all.count == 8 else { return nil }
    var value: UInt128 = 0
    for g in all { value = value << 16 | UInt128(g) }
    if let tailV4 { value = (value & ~UInt128(UInt32.max)) | UInt128(tailV4) }
    return value
  }

  private static func splitOnDoubleColon(_ text: String) -> [String] {
    var parts: [String] = []
    var rest = Substring(text)
    while let r = rest.firstRange(of: "::") {
      parts.append(String(rest[..<r.lowerBound]))
      rest = rest[r.upperBound...]
    }
    parts.append(String(rest))
    return parts
  }

  public var description: String {
    switch family {
    case .v4:
      let v = UInt32(truncatingIfNeeded: value)
      return "\(v >> 24).\(v >> 16 & 255).\(v >> 8 & 255).\(v & 255)"
    case .v6:
      let groups = (0..<8).map { i in UInt16(truncatingIfNeeded: value >> UInt128(112 - 16 * i)) }
      var bestStart = -1
      var bestLength = 0
      var i = 0
      while i < 8 {
        if groups[i] == 0 {
          var j = i
          while j < 8 && groups[j] == 0 { j += 1 }
          if j - i > bestLength && j - i >= 2 { (bestStart, bestLength) = (i, j - i) }
          i = j
        } else {
          i += 1
        }
      }
      let hex = groups.map { String($0, radix: 16) }
      if bestStart < 0 { return hex.joined(separator: ":") }
      let head = hex[..<bestStart].joined(separator: ":")
      let tail = hex[(bestStart + bestLength)...].joined(separator: ":")
      return head + "::" + tail
    }
  }

  public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
    (lhs.family, lhs.value) < (rhs.family, rhs.value)
  }
}

/// An inclusive range of addresses of one family.
public struct IPRange: Hashable, Comparable, Sendable, CustomStringConvertible {
  public var family: IPFamily
  public var lower: UInt128
  public var upper: UInt128

  public init(family: IPFamily, lower: UInt128, upper: UInt128) {
    self.family = family
    self.lower = lower
    self.upper = upper
  }

  /// The whole address space of a family.
  public static func all(_ family: IPFamily) -> IPRange {
    IPRange(family: family, lower: 0, upper: family.maxAddress)
  }

  public func contains(_ address: IPAddress) -> Bool {
    address.family == family && address.value >= lower && address.value <= upper
  }

  public func contains(_ other: IPRange) -> Bool {
    other.family == family && other.lower >= lower && other.upper <= upper
  }

  public var lowerAddress: IPAddress { IPAddress(family: family, value: lower) }
  public var upperAddress: IPAddress { IPAddress(family: family, value: upper) }

  /// `first-last`, as netpol-analyzer writes external ranges.
  public var description: String { "\(lowerAddress)-\(upperAddress)" }

  public static func < (lhs: IPRange, rhs: IPRange) -> Bool {
    (lhs.family, lhs.lower, lhs.upper) < (rhs.family, rhs.lower, rhs.upper)
  }
}

/// An address block in CIDR notation.
public struct CIDR: Hashable, Sendable, CustomStringConvertible {
  public var address: IPAddress
  public var prefixLength: Int

  /// Parses `a.b.c.d/n` or `x::y/n`; nil when malformed. Host bits may be set (they are
  /// masked, as Kubernetes does).
  public init?(_ text: some StringProtocol) {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, let address = IPAddress(parts[0]),
      parts[1].allSatisfy(\.isASCII), let length = Int(parts[1]),
      length >= 0, length <= address.family.bitWidth
    else { return nil }
    self.address = address
    self.prefixLength = length
  }

  public init(address: IPAddress, prefixLength: Int) {
    self.address = address
    self.prefixLength = prefixLength
  }

  public var family: IPFamily { address.family }

  /// The addresses the block covers.
  public var range: IPRange {
    let hostBits = family.bitWidth - prefixLength
    let hostMask: UInt128 = hostBits >= 128 ? UInt128.max : (UInt128(1) << UInt128(hostBits)) - 1
    let lower = address.value & ~hostMask & family.maxAddress
    return IPRange(family: family, lower: lower, upper: lower | hostMask & family.maxAddress)
  }

  public var description: String { "\(address)/\(prefixLength)" }
}

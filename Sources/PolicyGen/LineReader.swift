import Foundation
import KubeModel

/// Where flow input comes from: a file (or `-` for standard input), or bytes held in memory.
public enum FlowInput: Sendable {
  case path(String)
  case bytes([UInt8], name: String)

  /// The name used in locations.
  public var name: String {
    switch self {
    case .path(let p): return p == "-" ? "<stdin>" : p
    case .bytes(_, let name): return name
    }
  }
}

/// Streams the lines of a flow input through a fixed buffer, so files of gigabytes are read in
/// bounded memory. Lines keep their 1-based numbers; a final line without newline counts.
enum LineReader {
  static let chunk = 8 << 20
  /// Longer lines are reported and skipped.
  static let maxLine = 64 << 20

  /// The first `limit` bytes (for format detection).
  static func head(_ input: FlowInput, limit: Int = 64 << 10, stdinBuffer: inout [UInt8]?) throws(Diagnostic)
    -> [UInt8]
  {
    switch input {
    case .bytes(let b, _): return Array(b.prefix(limit))
    case .path(let p):
      if p == "-" {
        if stdinBuffer == nil { stdinBuffer = Array(FileHandle.standardInput.readDataToEndOfFile()) }
        return Array(stdinBuffer!.prefix(limit))
      }
      guard let h = FileHandle(forReadingAtPath: p) else {
        throw .error(.unreadableFile, "cannot read flow file '\(p)'", at: nil)
      }
      defer { try? h.close() }
      return Array((try? h.read(upToCount: limit)) ?? Data())
    }
  }

  /// Calls `body` with each line (without its newline and carriage return) and its number.
  /// Returns lines longer than `maxLine`, which were skipped, by number.
  static func forEachLine(
    _ input: FlowInput, stdinBuffer: [UInt8]?, _ body: (UnsafeBufferPointer<UInt8>, Int) -> Void
  ) throws(Diagnostic) -> [Int] {
    switch input {
    case .bytes(let b, _):
      return b.withUnsafeBufferPointer { split($0, firstLine: 1, final: true, body).tooLong }
    case .path(let p) where p == "-":
      let b = stdinBuffer ?? Array(FileHandle.standardInput.readDataToEndOfFile())
      return b.withUnsafeBufferPointer { split($0, firstLine: 1, final: true, body).tooLong }
    case .path(let p):
      let fd = open(p, O_RDONLY)
      guard fd >= 0 else { throw .error(.unreadableFile, "cannot read flow file '\(p)'", at: nil) }
      defer { close(fd) }
      return try stream(fd, from: nil, name: p, body).tooLong
    }
  }

  /// Streams the lines of an open file through a growing buffer: from its current position
  /// to its end (`range` nil, with `read`), or over a byte range (with `pread`). Line numbers
  /// start at 1. Returns the lines longer than `maxLine` (skipped) and how many lines there were.
  static func stream(
    _ fd: Int32, from range: Range<Int>?, name: String, _ body: (UnsafeBufferPointer<UInt8>, Int) -> Void
  ) throws(Diagnostic) -> (tooLong: [Int], lines: Int) {
    var buffer = [UInt8](repeating: 0, count: range.map { min(chunk, max($0.count, 1)) } ?? chunk)
    var filled = 0
    var line = 1
    var tooLong: [Int] = []
    var skipping = false
    var offset = range?.lowerBound ?? 0
    while true {
      if filled == buffer.count {
        if buffer.count >= maxLine {
          // One line fills the whole buffer: skip it up to its newline.
          tooLong.append(line)
          skipping = true
          filled = 0
        } else {
          buffer.append(contentsOf: [UInt8](repeating: 0, count: buffer.count))
        }
      }
      let want = range.map { min(buffer.count - filled, $0.upperBound - offset) } ?? (buffer.count - filled)
      let n =
        want == 0
        ? 0
        : buffer.withUnsafeMutableBytes { raw in
          range == nil
            ? read(fd, raw.baseAddress! + filled, want) : pread(fd, raw.baseAddress! + filled, want, off_t(offset))
        }
      if n < 0 { throw .error(.unreadableFile, "error reading flow file '\(name)'", at: nil) }
      offset += n
      let end = n == 0
      filled += n
      let consumed: Int = buffer.withUnsafeBufferPointer { all in
        var view = UnsafeBufferPointer(rebasing: all[0..<filled])
        var skipped = 0
        if skipping {
          guard let nl = view.firstIndex(of: 0x0A) else { return filled }
          skipping = false
          line += 1
          skipped = nl + 1
          view = UnsafeBufferPointer(rebasing: all[skipped..<filled])
        }
        let r = split(view, firstLine: line, final: end, body)
        line = r.nextLine
        return skipped + r.consumed
      }
      if consumed > 0 {
        buffer.withUnsafeMutableBufferPointer { b in
          let rest = filled - consumed
          if rest > 0 { memmove(b.baseAddress!, b.baseAddress! + consumed, rest) }
        }
        filled -= consumed
      }
      if end { break }
    }
    return (tooLong, line - 1)
  }

  /// Byte ranges of a file that start at line starts, about `parts` of them.
  static func lineAlignedRanges(_ fd: Int32, size: Int, parts: Int) -> [Range<Int>] {
    var cuts = [0]
    var probe = [UInt8](repeating: 0, count: 1 << 16)
    for k in 1..<max(parts, 1) {
      var at = max(size * k / parts, cuts.last!)
      // Move to just after the next newline.
      search: while at < size {
        let n = probe.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, off_t(at)) }
        if n <= 0 {
          at = size
          break
        }
        if let nl = probe[0..<n].firstIndex(of: 0x0A) {
          at += nl + 1
          break search
        }
        at += n
      }
      if at > cuts.last! && at < size { cuts.append(at) }
    }
    cuts.append(size)
    return zip(cuts, cuts.dropFirst()).map { $0..<$1 }
  }

  /// Splits complete lines off the front of `bytes`; with `final`, the rest is a last line.
  static func split(
    _ bytes: UnsafeBufferPointer<UInt8>, firstLine: Int, final: Bool, _ body: (UnsafeBufferPointer<UInt8>, Int) -> Void
  ) -> (consumed: Int, nextLine: Int, tooLong: [Int]) {
    var start = 0
    var line = firstLine
    guard let base = bytes.baseAddress else { return (0, line, []) }
    while start < bytes.count {
      guard let p = memchr(base + start, 0x0A, bytes.count - start) else { break }
      let nl = base.distance(to: p.assumingMemoryBound(to: UInt8.self))
      var end = nl
      if end > start && bytes[end - 1] == 0x0D { end -= 1 }
      body(UnsafeBufferPointer(rebasing: bytes[start..<end]), line)
      line += 1
      start = nl + 1
    }
    if final && start < bytes.count {
      var end = bytes.count
      if bytes[end - 1] == 0x0D { end -= 1 }
      body(UnsafeBufferPointer(rebasing: bytes[start..<end]), line)
      line += 1
      start = bytes.count
    }
    return (start, line, [])
  }
}

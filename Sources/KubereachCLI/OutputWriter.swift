import Formats
import Foundation
import KubeModel

/// Writes results so that none is lost silently: every failure is an error in words, a file is
/// replaced only once its new contents are complete, and a closed pipe ends the run quietly.
enum OutputWriter {
  /// The outcome of writing to a descriptor.
  enum WriteResult: Equatable {
    case written
    /// The reader went away (`| head`).
    case closedPipe
    /// Any other failure, with its `errno`.
    case failed(Int32)
  }

  /// The system's words for an `errno` value.
  static func describe(errno code: Int32) -> String { String(cString: strerror(code)) }

  /// Writes every byte to a descriptor.
  static func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> WriteResult {
    bytes.withUnsafeBytes { writeAll($0, to: descriptor) }
  }

  /// Writes every byte of a buffer to a descriptor.
  static func writeAll(_ buffer: UnsafeRawBufferPointer, to descriptor: Int32) -> WriteResult {
    var offset = 0
    while offset < buffer.count {
      let written = Foundation.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
      if written < 0 {
        let code = errno
        if code == EINTR || code == EAGAIN { continue }
        return code == EPIPE ? .closedPipe : .failed(code)
      }
      if written == 0 { return .failed(EIO) }
      offset += written
    }
    return .written
  }

  /// Writes `bytes` to `path` (see `writeFile(to:_:)`).
  static func writeFile(_ bytes: [UInt8], to path: String) throws(CommandFailure) {
    try writeFile(to: path) { $0.write(bytes) }
  }

  /// Writes to `path` what `produce` writes into its sink, as it comes. A regular file (or a new
  /// one) is written to a temporary file in the same folder and renamed into place once complete,
  /// so a failed run leaves the previous file as it was; devices, pipes and `/dev/stdout` are
  /// written in place and never renamed over.
  static func writeFile(
    to path: String, _ produce: (any OutputSink) throws(CommandFailure) -> Void
  ) throws(CommandFailure) {
    var info = stat()
    let exists = stat(path, &info) == 0
    if exists && (info.st_mode & S_IFMT) != S_IFREG {
      let descriptor = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
      guard descriptor >= 0 else { throw failure("cannot open '\(path)'", errno) }
      defer { close(descriptor) }
      let sink = DescriptorSink(descriptor)
      try produce(sink)
      switch sink.flush() {
      case .written, .closedPipe: return
      case .failed(let code): throw failure("cannot write '\(path)'", code)
      }
    }
    let folder = (path as NSString).deletingLastPathComponent
    let name = (path as NSString).lastPathComponent
    var template = Array(((folder.isEmpty ? "." : folder) + "/.\(name).kubereach-XXXXXX").utf8CString)
    let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard descriptor >= 0 else { throw failure("cannot write '\(path)'", errno) }
    let temporary = String(cString: template)
    var closed = false
    defer {
      if !closed { close(descriptor) }
    }
    // The permissions of the file replaced, or the usual ones for a new file.
    let mask = umask(0)
    umask(mask)
    fchmod(descriptor, exists ? info.st_mode & 0o7777 : 0o666 & ~mask)
    let sink = DescriptorSink(descriptor)
    do {
      try produce(sink)
    } catch {
      unlink(temporary)
      throw error
    }
    if case .failed(let code) = sink.flush() {
      unlink(temporary)
      throw failure("cannot write '\(path)'", code)
    }
    closed = true
    if close(descriptor) != 0 {
      let code = errno
      unlink(temporary)
      throw failure("cannot write '\(path)'", code)
    }
    if rename(temporary, path) != 0 {
      let code = errno
      unlink(temporary)
      throw failure("cannot replace '\(path)'", code)
    }
  }

  /// Creates a folder and its parents (`mkdir -p`).
  static func createDirectory(_ path: String) throws(CommandFailure) {
    var current = path.hasPrefix("/") ? "" : "."
    for part in path.split(separator: "/") {
      current += "/" + part
      if mkdir(current, 0o777) == 0 { continue }
      let code = errno
      var info = stat()
      if code == EEXIST, stat(current, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR { continue }
      throw failure("cannot create folder '\(path)'", code == EEXIST ? ENOTDIR : code)
    }
  }

  private static func failure(_ what: String, _ code: Int32) -> CommandFailure {
    CommandFailure([.error(.output, "\(what): \(describe(errno: code))", at: nil)])
  }
}

/// Standard output or a file, written through a 64 KiB buffer (larger writes go straight
/// through), so an output is never held whole. The first failure is kept, later bytes are
/// dropped, and `flush()` reports it.
final class DescriptorSink: OutputSink {
  static let capacity = 64 << 10
  let descriptor: Int32
  private var buffer: [UInt8] = []
  private var result = OutputWriter.WriteResult.written

  init(_ descriptor: Int32) {
    self.descriptor = descriptor
    buffer.reserveCapacity(Self.capacity)
  }

  func write(_ bytes: UnsafeRawBufferPointer) {
    guard result == .written, !bytes.isEmpty else { return }
    if buffer.count + bytes.count > Self.capacity {
      flush()
      if bytes.count >= Self.capacity {
        if result == .written { result = OutputWriter.writeAll(bytes, to: descriptor) }
        return
      }
    }
    buffer.append(contentsOf: bytes)
  }

  /// Writes what is buffered; the outcome of everything written so far.
  @discardableResult func flush() -> OutputWriter.WriteResult {
    if result == .written && !buffer.isEmpty {
      result = buffer.withUnsafeBytes { OutputWriter.writeAll($0, to: descriptor) }
    }
    buffer.removeAll(keepingCapacity: true)
    return result
  }
}

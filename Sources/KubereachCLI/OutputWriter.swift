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
    bytes.withUnsafeBytes { buffer in
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
  }

  /// Writes `bytes` to `path`. A regular file (or a new one) is written to a temporary file in the
  /// same folder and renamed into place, so a failed run leaves the previous file as it was;
  /// devices, pipes and `/dev/stdout` are written in place and never renamed over.
  static func writeFile(_ bytes: [UInt8], to path: String) throws(CommandFailure) {
    var info = stat()
    let exists = stat(path, &info) == 0
    if exists && (info.st_mode & S_IFMT) != S_IFREG {
      let descriptor = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
      guard descriptor >= 0 else { throw failure("cannot open '\(path)'", errno) }
      defer { close(descriptor) }
      switch writeAll(bytes, to: descriptor) {
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
    if case .failed(let code) = writeAll(bytes, to: descriptor) {
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

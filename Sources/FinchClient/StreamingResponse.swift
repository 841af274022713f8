import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

extension HTTPTransport {
    /// The body of `request` chunk by chunk as it arrives. `URLSession.bytes(for:)` is missing from
    /// FoundationNetworking on Linux, so a data delegate yields into the stream. A non-2xx answer ends
    /// the stream with its `ClientError.api`; ending the iteration early cancels the request.
    func stream(_ request: URLRequest) -> AsyncThrowingStream<Data, any Error> {
        AsyncThrowingStream { continuation in
            let delegate = StreamingDelegate(continuation: continuation, request: request)
            let streaming = URLSession(configuration: session.configuration, delegate: delegate, delegateQueue: nil)
            let task = streaming.dataTask(with: request)
            continuation.onTermination = { _ in
                task.cancel()
                streaming.finishTasksAndInvalidate()
            }
            task.resume()
        }
    }
}

/// Forwards a data task's bytes into an `AsyncThrowingStream`. The session calls it on its own queue,
/// one callback at a time; the lock guards the status and error body it collects across callbacks.
final class StreamingDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private let continuation: AsyncThrowingStream<Data, any Error>.Continuation
    private let request: URLRequest
    private let lock = NSLock()
    private var status = 0
    private var errorBody = Data()

    init(continuation: AsyncThrowingStream<Data, any Error>.Continuation, request: URLRequest) {
        self.continuation = continuation
        self.request = request
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void) {
        lock.withLock { status = (response as? HTTPURLResponse)?.statusCode ?? 0 }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let succeeded = lock.withLock {
            let ok = (200..<300).contains(status)
            if !ok { errorBody.append(data) }
            return ok
        }
        if succeeded { continuation.yield(data) }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        let (status, body) = lock.withLock { (self.status, errorBody) }
        if let error {
            continuation.finish(throwing: HTTPTransport.transportError(error, request: request))
        } else if !(200..<300).contains(status) {
            continuation.finish(throwing: ClientError.fromResponse(status: status, body: body))
        } else {
            continuation.finish()
        }
        session.finishTasksAndInvalidate()
    }
}

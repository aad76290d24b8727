// Package slogrpc counts the calls of a gRPC server as events of service
// level objectives: a unary and a stream server interceptor record each
// call as good or bad in an [slo.Tracker], by its status code.
//
// By default a call burns error budget when its handler panics or the call
// ends with a code that says the server failed it: Unknown (also what a
// handler's plain error becomes), DeadlineExceeded, Internal, Unavailable,
// DataLoss or ResourceExhausted. Every other code counts as good: OK, and
// the codes that blame the request (InvalidArgument, NotFound,
// AlreadyExists, PermissionDenied, Unauthenticated, FailedPrecondition,
// OutOfRange, Aborted, Unimplemented), since the server did its job.
// Canceled is ignored by the classifier. See [DefaultClassifier];
// [WithClassifier] replaces it.
//
// The code classified is the one the client sees. Each call is counted
// once, at the first of two moments: its handler returns (or panics), or
// its context ends. In the second case the call is counted at once, on a
// goroutine of its own (context.AfterFunc), so a handler that never
// returns still spends budget when its client gives up; the handler's
// answer, if it ever comes, reaches no one. Such a call is classified by
// why its context ended: DeadlineExceeded when its deadline passed (a slow
// answer is a failed one), Canceled when the client canceled it or its
// connection closed (also for calls that Server.Stop cancels). A client
// whose deadline passes cancels the call, and the server usually hears of
// that a moment before its own copy of the deadline expires, so a call
// canceled less than 10ms before its deadline counts as DeadlineExceeded
// too. Otherwise the code is that of the handler's error as grpc.Server
// converts it: a status error's code, Canceled or DeadlineExceeded for the
// context errors, Unknown for any other error.
//
// A call canceled before its answer began (any unary call, and a stream
// that has sent no header or message yet) is abandoned, and is not
// classified: it is bad once it has run longer than the abandon timeout
// ([WithAbandonTimeout], [slo.DefaultAbandonTimeout] by default, 10s), slow
// on a latency objective once it has run past the threshold, and not
// counted otherwise, since a client that leaves early may just have
// changed its mind. A stream canceled after it began to answer is
// classified as Canceled: ignored by default, like the end of a watch.
//
// This is the policy of package slohttp's middleware, where an abandoned
// request is one whose client went away before its response began and a
// deadline is one set outside the middleware, and the option has the same
// name and meaning in both packages.
//
// A panicking handler is recorded as bad and the panic goes on with the same
// value: the process crashes as it would without the interceptor, or a
// recovery interceptor installed outside this one (earlier in
// grpc.ChainUnaryInterceptor) recovers it as usual.
//
// Objectives per method ([WithMethodTrackers]) and latency objectives
// ([WithLatency]) come from options; objectives are never created from
// request data, so a client calling unknown methods cannot create series.
package slogrpc

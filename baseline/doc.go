// Package baseline is pvaudit's drift analysis, pure over decoded inputs.
//
// A Baseline is an approved State of an account — the normalized snapshot
// with every policy document in canonical form (CanonicalDocument) and
// every role's classification — with the contract it was judged against
// (name and SHA-256 of its source), the parameters and capture metadata.
// Encode writes it with a SHA-256 over its canonical serialization (and an
// Ed25519 signature, with a key); Decode refuses a file whose hash, form or
// signature does not check out.
//
// Diff compares an approved State with the current one and returns one
// Item per deviation (the DRIFT-… rules of Rules), each with its before and
// after, a line diff of the canonical documents and its Access: the effect
// of that change alone on what principals can do, found by evaluating a
// catalogue of representative requests before and after. Cosmetic
// rewrites are not drift; what either side could not read is
// NOT_EVALUATED. Attribute names the CloudTrail events that explain each
// item; Apply accepts items into a new State; Findings turns items into
// findings of the common type.
package baseline

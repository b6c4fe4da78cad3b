;; Sorts the complete lines of a run of bytes into two classes, 16 bytes at a time (WebAssembly
;; SIMD): plain lines, and the others. A plain line starts with the prefix, holds the key, holds
;; none of the needles, and its last byte that is not a space (space, tab, CR) is `}`. The caller
;; says what the prefix, key and needles are (configure) and judges every other line itself:
;; line-classes.ts loads this module, line-scanner.ts says what the strings are and why.
;;
;; Compiled into line-classes.wasm.ts by `npm run build:wasm`; a unit test checks that the two agree.
;;
;; Needles and the key are found as in Wojciech Muła's "SIMD-friendly algorithms for substring
;; searching": two of their bytes compared at their distance over 16 positions at once (a
;; needle's first and last; the key's second and second-to-last, as a JSON key's first and last
;; are quotes, the commonest bytes in JSON), and every position where both agree compared in full,
;; so the answer is exact. The hot loops hold no call and keep the needles in locals, written out
;; four times: a call there makes V8 keep the vectors on the stack, and it inlines only so much.

(module
  (memory (export "memory") 18)

  ;; Where things are in memory: the caller writes the strings and the input, reads the results.
  ;; prefix: up to MAX_PREFIX bytes, zeros after; then which of its bytes count (configure).
  (global $PREFIX (export "PREFIX") i32 (i32.const 64))
  (global $MAX_PREFIX (export "MAX_PREFIX") i32 (i32.const 48))
  (global $PREFIX_MASK i32 (i32.const 128))
  ;; key: 4 to MAX_KEY bytes, zeros after.
  (global $KEY (export "KEY") i32 (i32.const 192))
  (global (export "MAX_KEY") i32 (i32.const 16))
  ;; needles: a slot each. The caller writes the length (i32) at +0 and the bytes at +16 (zeros
  ;; after); configure writes the last byte's place at +4 (i32), which of the 32 bytes from +16 to
  ;; compare at +8 (a bit each), the first and last bytes 16 times each at +64 and +80.
  (global $NEEDLES (export "NEEDLES") i32 (i32.const 256))
  (global $NEEDLE_SLOT (export "NEEDLE_SLOT") i32 (i32.const 128))
  ;; classify keeps each needle in locals, written out once for each: four (the catalog's needles
  ;; today). A fifth needs a fifth copy of those lines; until then create() answers null.
  (global (export "MAX_NEEDLES") i32 (i32.const 4))
  (global (export "MAX_NEEDLE") i32 (i32.const 32))
  ;; results of classify: lines (i32), other lines listed, the last plain line's start and newline (-1: none).
  (global $RESULTS (export "RESULTS") i32 (i32.const 768))
  ;; the other lines, four i32 each: index among the lines of the call, start, newline, and 1 when
  ;; a needle was found in it (0: none, or not looked for).
  (global $OTHERS (export "OTHERS") i32 (i32.const 4096))
  (global $MAX_OTHERS (export "MAX_OTHERS") i32 (i32.const 3840))
  ;; the input, from INPUT to PAD bytes short of the memory's end: the searches read up to PAD
  ;; bytes past the last newline, and nothing they read there can make a match.
  (global $INPUT (export "INPUT") i32 (i32.const 65536))
  (global (export "PAD") i32 (i32.const 64))

  (global $needles (mut i32) (i32.const 0))
  (global $keyLength (mut i32) (i32.const 4))
  ;; Which of the 16 bytes from KEY to compare, a bit each.
  (global $keyBytes (mut i32) (i32.const 0))

  ;; Takes the strings the caller wrote: how many needles, and the prefix's and key's lengths.
  (func (export "configure") (param $needles i32) (param $prefixLength i32) (param $keyLength i32)
    (local $i i32)
    (local $slot i32)
    (local $length i32)
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (global.get $MAX_PREFIX)))
        (i32.store8 (i32.add (global.get $PREFIX_MASK) (local.get $i))
          (select (i32.const 0xff) (i32.const 0) (i32.lt_u (local.get $i) (local.get $prefixLength))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (global.set $needles (local.get $needles))
    (global.set $keyLength (local.get $keyLength))
    (global.set $keyBytes (i32.sub (i32.shl (i32.const 1) (local.get $keyLength)) (i32.const 1)))
    (local.set $i (i32.const 0))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (i32.const 4)))
        (local.set $slot (i32.add (global.get $NEEDLES) (i32.mul (local.get $i) (global.get $NEEDLE_SLOT))))
        (local.set $length (i32.load (local.get $slot)))
        (if (i32.lt_u (local.get $i) (local.get $needles))
          (then
            (i32.store offset=4 (local.get $slot) (i32.sub (local.get $length) (i32.const 1)))
            (i32.store offset=8 (local.get $slot)
              (select (i32.const -1)
                (i32.sub (i32.shl (i32.const 1) (local.get $length)) (i32.const 1))
                (i32.ge_u (local.get $length) (i32.const 32))))
            (v128.store offset=64 (local.get $slot) (i8x16.splat (i32.load8_u offset=16 (local.get $slot))))
            (v128.store offset=80 (local.get $slot)
              (i8x16.splat (i32.load8_u offset=16 (i32.add (local.get $slot) (i32.load offset=4 (local.get $slot)))))))
          (else
            ;; No needle here: a first byte of newline and a last one of NUL, at one place: never.
            (i32.store offset=4 (local.get $slot) (i32.const 0))
            (i32.store offset=8 (local.get $slot) (i32.const 0))
            (v128.store offset=64 (local.get $slot) (i8x16.splat (i32.const 0x0a)))
            (v128.store offset=80 (local.get $slot) (v128.const i64x2 0 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each))))

  ;; Classifies the lines of INPUT + [from, to), which ends with a newline. Lists the other lines,
  ;; and stops after MAX_OTHERS of them: returns where it stopped (to when done). Results at RESULTS.
  (func (export "classify") (param $from i32) (param $to i32) (result i32)
    (local $start i32)
    (local $end i32)
    (local $at i32)
    (local $newline i32)
    (local $last i32)
    (local $byte i32)
    (local $lines i32)
    (local $others i32)
    (local $lastStart i32)
    (local $lastNewline i32)
    (local $plain i32)
    (local $needle i32)
    (local $keyed i32)
    (local $keyLast i32)
    (local $slot i32)
    (local $slots i32)
    (local $newlines i32)
    (local $before i32)
    (local $hits i32)
    (local $candidate i32)
    (local $record i32)
    (local $nl v128)
    (local $bytes v128)
    (local $ends v128)
    (local $found v128)
    (local $keys v128)
    (local $k1 v128)
    (local $k2 v128)
    (local $f0 v128) (local $l0 v128) (local $at0 i32)
    (local $f1 v128) (local $l1 v128) (local $at1 i32)
    (local $f2 v128) (local $l2 v128) (local $at2 i32)
    (local $f3 v128) (local $l3 v128) (local $at3 i32)
    (local.set $nl (i8x16.splat (i32.const 0x0a)))
    (local.set $k1 (i8x16.splat (i32.load8_u offset=1 (global.get $KEY))))
    (local.set $keyLast (i32.sub (global.get $keyLength) (i32.const 2)))
    (local.set $k2 (i8x16.splat (i32.load8_u (i32.add (global.get $KEY) (local.get $keyLast)))))
    (local.set $slot (global.get $NEEDLES))
    (local.set $f0 (v128.load offset=64 (local.get $slot)))
    (local.set $l0 (v128.load offset=80 (local.get $slot)))
    (local.set $at0 (i32.load offset=4 (local.get $slot)))
    (local.set $slot (i32.add (local.get $slot) (global.get $NEEDLE_SLOT)))
    (local.set $f1 (v128.load offset=64 (local.get $slot)))
    (local.set $l1 (v128.load offset=80 (local.get $slot)))
    (local.set $at1 (i32.load offset=4 (local.get $slot)))
    (local.set $slot (i32.add (local.get $slot) (global.get $NEEDLE_SLOT)))
    (local.set $f2 (v128.load offset=64 (local.get $slot)))
    (local.set $l2 (v128.load offset=80 (local.get $slot)))
    (local.set $at2 (i32.load offset=4 (local.get $slot)))
    (local.set $slot (i32.add (local.get $slot) (global.get $NEEDLE_SLOT)))
    (local.set $f3 (v128.load offset=64 (local.get $slot)))
    (local.set $l3 (v128.load offset=80 (local.get $slot)))
    (local.set $at3 (i32.load offset=4 (local.get $slot)))
    (local.set $slots (i32.add (global.get $NEEDLES) (i32.mul (global.get $needles) (global.get $NEEDLE_SLOT))))
    (local.set $start (i32.add (global.get $INPUT) (local.get $from)))
    (local.set $end (i32.add (global.get $INPUT) (local.get $to)))
    (local.set $lastStart (i32.const -1))
    (local.set $lastNewline (i32.const -1))
    (block $stop
      (loop $line
        (br_if $stop (i32.ge_u (local.get $start) (local.get $end)))
        ;; The prefix, against the bytes of the line (and of the next ones: they hold a newline
        ;; where a shorter line ends, and the prefix none).
        (local.set $plain
          (i32.eqz (v128.any_true
            (v128.or
              (v128.or
                (v128.and (v128.xor (v128.load (local.get $start)) (v128.load (global.get $PREFIX)))
                          (v128.load (global.get $PREFIX_MASK)))
                (v128.and (v128.xor (v128.load offset=16 (local.get $start)) (v128.load offset=16 (global.get $PREFIX)))
                          (v128.load offset=16 (global.get $PREFIX_MASK))))
              (v128.and (v128.xor (v128.load offset=32 (local.get $start)) (v128.load offset=32 (global.get $PREFIX)))
                        (v128.load offset=32 (global.get $PREFIX_MASK)))))))
        (local.set $needle (i32.const 0))
        (local.set $keyed (i32.const 0))
        (local.set $keys (v128.const i64x2 0 0))
        (local.set $at (local.get $start))
        (block $ended
          (block $other
            (br_if $other (i32.eqz (local.get $plain)))
            ;; A plain line so far: its newline, needles and the key, 16 positions at a time, in a
            ;; loop until something may be there, then looked at closely.
            (loop $scan
              (block $look
                (if (local.get $keyed)
                  (then
                    (loop $block
                      (local.set $bytes (v128.load (local.get $at)))
                      (local.set $ends (i8x16.eq (local.get $bytes) (local.get $nl)))
                      (local.set $found
                        (v128.or
                          (v128.or
                            (v128.and
                              (i8x16.eq (local.get $bytes) (local.get $f0))
                              (i8x16.eq (v128.load (i32.add (local.get $at) (local.get $at0))) (local.get $l0)))
                            (v128.and
                              (i8x16.eq (local.get $bytes) (local.get $f1))
                              (i8x16.eq (v128.load (i32.add (local.get $at) (local.get $at1))) (local.get $l1))))
                          (v128.or
                            (v128.and
                              (i8x16.eq (local.get $bytes) (local.get $f2))
                              (i8x16.eq (v128.load (i32.add (local.get $at) (local.get $at2))) (local.get $l2)))
                            (v128.and
                              (i8x16.eq (local.get $bytes) (local.get $f3))
                              (i8x16.eq (v128.load (i32.add (local.get $at) (local.get $at3))) (local.get $l3))))))
                      (br_if $look (v128.any_true (v128.or (local.get $ends) (local.get $found))))
                      (local.set $at (i32.add (local.get $at) (i32.const 16)))
                      (br $block)))
                  (else
                    (loop $block
                      (local.set $bytes (v128.load (local.get $at)))
                      (local.set $ends (i8x16.eq (local.get $bytes) (local.get $nl)))
                      (local.set $found
                        (v128.or
                          (v128.or
                            (v128.and
                              (i8x16.eq (local.get $bytes) (local.get $f0))
                              (i8x16.eq (v128.load (i32.add (local.get $at) (local.get $at0))) (local.get $l0)))
                            (v128.and
                              (i8x16.eq (local.get $bytes) (local.get $f1))
                              (i8x16.eq (v128.load (i32.add (local.get $at) (local.get $at1))) (local.get $l1))))
                          (v128.or
                            (v128.and
                              (i8x16.eq (local.get $bytes) (local.get $f2))
                              (i8x16.eq (v128.load (i32.add (local.get $at) (local.get $at2))) (local.get $l2)))
                            (v128.and
                              (i8x16.eq (local.get $bytes) (local.get $f3))
                              (i8x16.eq (v128.load (i32.add (local.get $at) (local.get $at3))) (local.get $l3))))))
                      (local.set $keys
                        (v128.and
                          (i8x16.eq (v128.load offset=1 (local.get $at)) (local.get $k1))
                          (i8x16.eq (v128.load (i32.add (local.get $at) (local.get $keyLast))) (local.get $k2))))
                      (br_if $look (v128.any_true (v128.or (v128.or (local.get $ends) (local.get $found)) (local.get $keys))))
                      (local.set $at (i32.add (local.get $at) (i32.const 16)))
                      (br $block)))))
              ;; Something may be here: only positions before the line's newline are this line's.
              (local.set $newlines (i8x16.bitmask (local.get $ends)))
              (local.set $before
                (select
                  (i32.sub (i32.and (local.get $newlines) (i32.sub (i32.const 0) (local.get $newlines))) (i32.const 1))
                  (i32.const 0xffff)
                  (local.get $newlines)))
              ;; Each needle's candidates, compared in full.
              (if (i32.and (local.get $before) (i8x16.bitmask (local.get $found)))
                (then
                  (local.set $slot (global.get $NEEDLES))
                  (block $checked
                    (loop $each
                      (br_if $checked (i32.ge_u (local.get $slot) (local.get $slots)))
                      (local.set $hits
                        (i32.and (local.get $before)
                          (i8x16.bitmask
                            (v128.and
                              (i8x16.eq (local.get $bytes) (v128.load offset=64 (local.get $slot)))
                              (i8x16.eq (v128.load (i32.add (local.get $at) (i32.load offset=4 (local.get $slot))))
                                        (v128.load offset=80 (local.get $slot)))))))
                      (block $next
                        (loop $hit
                          (br_if $next (i32.eqz (local.get $hits)))
                          (local.set $candidate (i32.add (local.get $at) (i32.ctz (local.get $hits))))
                          (if (i32.eq (i32.load offset=8 (local.get $slot))
                                (i32.and (i32.load offset=8 (local.get $slot))
                                  (i32.or
                                    (i8x16.bitmask (i8x16.eq (v128.load (local.get $candidate))
                                                             (v128.load offset=16 (local.get $slot))))
                                    (i32.shl
                                      (i8x16.bitmask (i8x16.eq (v128.load offset=16 (local.get $candidate))
                                                               (v128.load offset=32 (local.get $slot))))
                                      (i32.const 16)))))
                            (then
                              (local.set $plain (i32.const 0))
                              (local.set $needle (i32.const 1))
                              (br $checked)))
                          (local.set $hits (i32.and (local.get $hits) (i32.sub (local.get $hits) (i32.const 1))))
                          (br $hit)))
                      (local.set $slot (i32.add (local.get $slot) (global.get $NEEDLE_SLOT)))
                      (br $each)))))
              ;; The key's candidates, compared in full ($keys is empty once it was found).
              (local.set $hits (i32.and (local.get $before) (i8x16.bitmask (local.get $keys))))
              (block $next
                (loop $hit
                  (br_if $next (i32.eqz (local.get $hits)))
                  (if (i32.eq (global.get $keyBytes)
                        (i32.and (global.get $keyBytes)
                          (i8x16.bitmask (i8x16.eq (v128.load (i32.add (local.get $at) (i32.ctz (local.get $hits))))
                                                   (v128.load (global.get $KEY))))))
                    (then
                      (local.set $keyed (i32.const 1))
                      (local.set $keys (v128.const i64x2 0 0))
                      (br $next)))
                  (local.set $hits (i32.and (local.get $hits) (i32.sub (local.get $hits) (i32.const 1))))
                  (br $hit)))
              (if (local.get $newlines)
                (then
                  (local.set $newline (i32.add (local.get $at) (i32.ctz (local.get $newlines))))
                  (br $ended)))
              (local.set $at (i32.add (local.get $at) (i32.const 16)))
              (br_if $other (i32.eqz (local.get $plain)))
              (br $scan)))
          ;; Another line: only its end is looked for.
          (loop $find
            (local.set $newlines (i8x16.bitmask (i8x16.eq (v128.load (local.get $at)) (local.get $nl))))
            (if (local.get $newlines)
              (then
                (local.set $newline (i32.add (local.get $at) (i32.ctz (local.get $newlines))))
                (br $ended)))
            (local.set $at (i32.add (local.get $at) (i32.const 16)))
            (br $find)))
        ;; The line [start, newline) is whole. Plain if it also ends with `}` before any spaces.
        (if (i32.and (local.get $plain) (local.get $keyed))
          (then
            (local.set $last (i32.sub (local.get $newline) (i32.const 1)))
            (block $brace
              (loop $back
                (br_if $brace (i32.le_s (local.get $last) (local.get $start)))
                (local.set $byte (i32.load8_u (local.get $last)))
                (br_if $brace
                  (i32.eqz
                    (i32.or
                      (i32.or (i32.eq (local.get $byte) (i32.const 0x20)) (i32.eq (local.get $byte) (i32.const 0x09)))
                      (i32.or (i32.eq (local.get $byte) (i32.const 0x0a)) (i32.eq (local.get $byte) (i32.const 0x0d))))))
                (local.set $last (i32.sub (local.get $last) (i32.const 1)))
                (br $back)))
            (local.set $plain (i32.eq (i32.load8_u (local.get $last)) (i32.const 0x7d))))
          (else (local.set $plain (i32.const 0))))
        (local.set $lines (i32.add (local.get $lines) (i32.const 1)))
        (if (local.get $plain)
          (then
            (local.set $lastStart (i32.sub (local.get $start) (global.get $INPUT)))
            (local.set $lastNewline (i32.sub (local.get $newline) (global.get $INPUT))))
          (else
            (local.set $record (i32.add (global.get $OTHERS) (i32.shl (local.get $others) (i32.const 4))))
            (i32.store (local.get $record) (i32.sub (local.get $lines) (i32.const 1)))
            (i32.store offset=4 (local.get $record) (i32.sub (local.get $start) (global.get $INPUT)))
            (i32.store offset=8 (local.get $record) (i32.sub (local.get $newline) (global.get $INPUT)))
            (i32.store offset=12 (local.get $record) (local.get $needle))
            (local.set $others (i32.add (local.get $others) (i32.const 1)))))
        (local.set $start (i32.add (local.get $newline) (i32.const 1)))
        (br_if $stop (i32.ge_u (local.get $others) (global.get $MAX_OTHERS)))
        (br $line)))
    (i32.store (global.get $RESULTS) (local.get $lines))
    (i32.store offset=4 (global.get $RESULTS) (local.get $others))
    (i32.store offset=8 (global.get $RESULTS) (local.get $lastStart))
    (i32.store offset=12 (global.get $RESULTS) (local.get $lastNewline))
    (i32.sub (local.get $start) (global.get $INPUT)))
)

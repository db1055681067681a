//! Chapter "TypeScript for backend work": the book's TypeScript examples. Each `.ts` file exports
//! `run(input: string): string`, compiled by tsc 7 with `strict` and more (examples/tsconfig.json)
//! and run by Node in the tests and by the page's worker in the browser. Each `.type-error.ts`
//! file shows one compile error on purpose; its verified output is tsc's diagnostics.

use crate::Example;

/// The chapter's examples, in reading order.
pub const EXAMPLES: &[Example] = &[
    Example::typescript(
        "typescript::structural",
        "Structural typing: a row with a password hash is a PublicUser",
        "examples/src/typescript/structural.ts",
        "{\"id\":\"usr_17\",\"email\":\"ada@example.com\",\"passwordHash\":\"$argon2id$v=19$m=65536\",\"isAdmin\":true}\n{\"id\":\"usr_18\",\"email\":\"lin@example.com\",\"passwordHash\":\"$argon2id$v=19$m=65536\",\"isAdmin\":false,\"resetToken\":\"k3j9\"}\n",
        "one user row per line, as JSON: id, email, passwordHash (strings), isAdmin (boolean), any extra columns",
    ),
    Example::type_error(
        "typescript::excess_property",
        "A fresh object literal with an unknown property",
        "examples/src/typescript/excess_property.type-error.ts",
        "TS2353",
    ),
    Example::typescript(
        "typescript::values_refs",
        "Values, references, typeof and boxing",
        "examples/src/typescript/values_refs.ts",
        "{\"retries\": 3, \"db\": {\"host\": \"db.internal\", \"pool\": 10}, \"tags\": [\"api\"]}\n",
        "one JSON config: retries (number), db { host, pool }, tags (strings)",
    ),
    Example::typescript(
        "typescript::narrowing",
        "Narrowing a discriminated union",
        "examples/src/typescript/narrowing.ts",
        "# kind ACCOUNT CENTS, or transfer FROM TO CENTS\ndeposit acc_alice 5000\ndeposit acc_bob 1200\ntransfer acc_alice acc_bob 2000\nwithdrawal acc_bob 4000\nwithdrawal acc_bob 3000\ntransfer acc_bob acc_carol 500\n",
        "one event per line: deposit|withdrawal ACCOUNT CENTS, or transfer FROM TO CENTS",
    ),
    Example::type_error(
        "typescript::exhaustive_never",
        "A forgotten union member reaches never",
        "examples/src/typescript/exhaustive_never.type-error.ts",
        "TS2345",
    ),
    Example::typescript(
        "typescript::unknown_any",
        "any versus unknown on parsed JSON, and unknown in catch",
        "examples/src/typescript/unknown_any.ts",
        "{\"amount\": 10}\n{\"amount\": \"25\"}\n{\"amount\": 5}\n{\"amt\": 7}\n{\"amount\": 40\n",
        "one JSON request body per line; the sums read its amount",
    ),
    Example::type_error(
        "typescript::unknown_not_any",
        "unknown must be narrowed",
        "examples/src/typescript/unknown_not_any.type-error.ts",
        "TS18046",
    ),
    Example::type_error(
        "typescript::catch_unknown",
        "useUnknownInCatchVariables: a caught value is unknown",
        "examples/src/typescript/catch_unknown.type-error.ts",
        "TS18046",
    ),
    Example::typescript(
        "typescript::enums",
        "Enums at run time: reverse mapping, nominal string enums, as const",
        "examples/src/typescript/enums.ts",
        "# values to test, separated by spaces or lines\nLow 0 High toString\nsettled Settled deposit\n",
        "values to test, separated by spaces or lines",
    ),
    Example::type_error(
        "typescript::enum_erasable",
        "erasableSyntaxOnly: an enum is not erasable",
        "examples/src/typescript/enum_erasable.type-error.ts",
        "TS1294",
    ),
    Example::typescript(
        "typescript::generics",
        "Generic helpers with constraints and inference",
        "examples/src/typescript/generics.ts",
        "# ID CUSTOMER CENTS STATUS\nord_1 acme 1999 paid\nord_2 globex 500 pending\nord_3 acme 2500 refunded\nord_4 acme 700 paid\nord_5 initech 1200 paid\n",
        "one order per line: ID CUSTOMER CENTS STATUS (pending, paid, refunded)",
    ),
    Example::typescript(
        "typescript::type_tools",
        "Conditional, template literal and utility types, each pinned by the compiler",
        "examples/src/typescript/type_tools.ts",
        "# request paths\n/accounts/acc_7/payments/pay_3\n/accounts/acc_7\n/accounts/acc_7/refunds/r_1\n",
        "one request path per line",
    ),
    Example::typescript(
        "typescript::validate",
        "A schema validator at the boundary: cast versus check",
        "examples/src/typescript/validate.ts",
        "{\"account\":\"acc_7f3k\",\"amountCents\":1999,\"currency\":\"EUR\",\"note\":\"invoice 42\"}\n{\"account\":\"acc_7f3k\",\"amountCents\":\"1999\",\"currency\":\"EUR\"}\n{\"account\":\"acc_7f3k\",\"amountCents\":19.99,\"currency\":\"usd\"}\n{\"account\":\"acc_7f3k\",\"currency\":\"EUR\",\"isAdmin\":true}\n{\"account\":\"acc_7f3k\",\"amountCents\":1999,\"currency\":\"EUR\",\"status\":\"settled\"}\n[1999]\n{\"account\":\n",
        "one POST /payments JSON body per line",
    ),
    Example::type_error(
        "typescript::satisfies_typo",
        "as hides a misspelt key, satisfies reports it",
        "examples/src/typescript/satisfies_typo.type-error.ts",
        "TS2561",
    ),
    Example::typescript(
        "typescript::predict",
        "Cast or schema: what happens to this body? (predict, then reveal)",
        "examples/src/typescript/predict.ts",
        "seed = 2\n",
        "`seed = N`: any number draws another body",
    ),
    Example::typescript(
        "typescript::api_contract",
        "One contract for client and server",
        "examples/src/typescript/api_contract.ts",
        "# METHOD PATH [JSON body]: requests from an untyped caller (curl, an old client)\nPOST /payments {\"account\":\"acc_7f3k\",\"amountCents\":1999,\"currency\":\"EUR\"}\nPOST /payments {\"account\":\"acc_7f3k\",\"amountCents\":\"1999\",\"currency\":\"EUR\"}\nGET /payments/pay_1\nGET /payments/pay_9\nDELETE /payments/pay_1\n",
        "one request per line: METHOD PATH [JSON body]",
    ),
    Example::typescript(
        "typescript::patch_merge",
        "A PATCH merge with undefined, and with exact optional properties",
        "examples/src/typescript/patch_merge.ts",
        "# each line is a submitted form: field=value pairs joined by &\nemail=ada@lovelace.dev\nnickname=countess\nemail=a@b.dev&nickname=al\n",
        "one submitted form per line: email=... and/or nickname=..., joined by &",
    ),
    Example::type_error(
        "typescript::exact_optional",
        "exactOptionalPropertyTypes rejects an explicit undefined",
        "examples/src/typescript/exact_optional.type-error.ts",
        "TS2375",
    ),
    Example::type_error(
        "typescript::index_undefined",
        "noUncheckedIndexedAccess: rows[0] may be undefined",
        "examples/src/typescript/index_undefined.type-error.ts",
        "TS18048",
    ),
    Example::type_error(
        "typescript::find_undefined",
        "strictNullChecks: find may return undefined",
        "examples/src/typescript/find_undefined.type-error.ts",
        "TS18048",
    ),
    Example::type_error(
        "typescript::implicit_any",
        "noImplicitAny: an untyped parameter",
        "examples/src/typescript/implicit_any.type-error.ts",
        "TS7006",
    ),
    Example::type_error(
        "typescript::handler_variance",
        "strictFunctionTypes: a narrower handler is not a handler of every event",
        "examples/src/typescript/handler_variance.type-error.ts",
        "TS2322",
    ),
    Example::typescript(
        "typescript::variance_holes",
        "Where strict TypeScript is unsound: covariant arrays and bivariant methods",
        "examples/src/typescript/variance_holes.ts",
        "# deposit ACCOUNT CENTS, or refund PAYMENT CENTS\ndeposit acc_alice 5000\nrefund pay_9 1200\n",
        "one event per line: deposit ACCOUNT CENTS or refund PAYMENT CENTS",
    ),
    Example::type_error(
        "typescript::property_init",
        "strictPropertyInitialization: a DTO field never assigned",
        "examples/src/typescript/property_init.type-error.ts",
        "TS2564",
    ),
];

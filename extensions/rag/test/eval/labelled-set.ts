/**
 * A small labelled retrieval set written for this extension: twelve short documents on
 * distinct technical topics, questions that reuse the documents' words ("keyword"), and
 * questions that paraphrase them with few shared words ("paraphrase"). Each question names
 * the one document that contains its answer.
 */
export interface LabelledDocument {
  id: string;
  text: string;
}

export interface LabelledQuestion {
  question: string;
  documentId: string;
}

export const DOCUMENTS: LabelledDocument[] = [
  { id: 'http-caching', text: 'HTTP caching lets a browser or proxy reuse a stored response. The Cache-Control header sets max-age in seconds, and no-store forbids storing the response at all. A stale response is revalidated with a conditional request carrying If-None-Match and the ETag; the server answers 304 Not Modified when the representation is unchanged.' },
  { id: 'postgres-vacuum', text: 'PostgreSQL keeps old row versions after updates and deletes because of MVCC. VACUUM marks the space of dead tuples as reusable, and autovacuum runs it in the background when a table passes its threshold of changed rows. VACUUM FULL rewrites the table to return space to the operating system but takes an exclusive lock.' },
  { id: 'tls-handshake', text: 'In the TLS 1.3 handshake the client sends a ClientHello with its key shares and cipher suites. The server replies with ServerHello, its certificate and a CertificateVerify signature, so the client can authenticate the server. Both sides derive session keys from the ephemeral Diffie-Hellman exchange, which gives forward secrecy.' },
  { id: 'git-rebase', text: 'git rebase replays your commits on top of another branch, producing a linear history. Interactive rebase with -i lets you reorder, squash, edit or drop commits. Never rebase commits that others have already pulled, because rewriting published history forces them to reconcile diverged branches.' },
  { id: 'docker-layers', text: 'A Docker image is a stack of read-only layers, one per instruction in the Dockerfile. The build cache reuses a layer when its instruction and inputs are unchanged, so copy the dependency manifest and install dependencies before copying the source code. Multi-stage builds copy only the final artifacts into a small runtime image.' },
  { id: 'kubernetes-pods', text: 'A Kubernetes pod groups containers that share a network namespace and volumes. A Deployment keeps the desired number of pod replicas running and replaces failed pods. Liveness probes restart a container that hangs, and readiness probes keep a pod out of Service endpoints until it can serve traffic.' },
  { id: 'python-gil', text: 'CPython has a global interpreter lock, the GIL, so only one thread executes Python bytecode at a time. Threads still help for I/O-bound work because blocking calls release the GIL. For CPU-bound work use multiprocessing or native extensions that release the lock during computation.' },
  { id: 'rust-ownership', text: 'In Rust every value has a single owner, and the value is dropped when its owner goes out of scope. Borrowing gives references without taking ownership: any number of shared references, or exactly one mutable reference. The borrow checker enforces these rules at compile time, which prevents data races and use-after-free bugs.' },
  { id: 'dns-resolution', text: 'A DNS resolver answers a lookup by asking the root servers, then the top-level domain servers, then the authoritative name server for the zone. Answers are cached for the record TTL. An A record maps a name to an IPv4 address, AAAA to IPv6, and a CNAME makes one name an alias of another.' },
  { id: 'oauth-code-flow', text: 'In the OAuth 2.0 authorization code flow the user signs in at the authorization server, which redirects back to the client with a short-lived code. The client exchanges the code for an access token at the token endpoint. Public clients such as mobile apps add PKCE, sending a code verifier that proves they started the flow.' },
  { id: 'unicode-normalization', text: 'Unicode allows the same visible text to be encoded in different ways: é can be one precomposed code point or e followed by a combining acute accent. Normalization forms NFC and NFD compose or decompose such sequences, and NFKC also folds compatibility characters such as ligatures. Compare and index strings only after normalizing them.' },
  { id: 'btree-index', text: 'A B-tree index keeps keys sorted in balanced pages, so equality and range lookups take a logarithmic number of page reads. A composite index on (a, b) serves queries filtering on a, or on a and b, but not on b alone. Every index slows down inserts and updates, because each write must also update the index.' },
];

export const KEYWORD_QUESTIONS: LabelledQuestion[] = [
  { question: 'What does the Cache-Control max-age header do?', documentId: 'http-caching' },
  { question: 'When does the server answer 304 Not Modified?', documentId: 'http-caching' },
  { question: 'What does VACUUM do with dead tuples?', documentId: 'postgres-vacuum' },
  { question: 'Why does VACUUM FULL take an exclusive lock?', documentId: 'postgres-vacuum' },
  { question: 'What is in the TLS 1.3 ClientHello?', documentId: 'tls-handshake' },
  { question: 'How does TLS give forward secrecy?', documentId: 'tls-handshake' },
  { question: 'How do I squash commits with interactive rebase?', documentId: 'git-rebase' },
  { question: 'Why not rebase commits others have pulled?', documentId: 'git-rebase' },
  { question: 'How does the Docker build cache reuse layers?', documentId: 'docker-layers' },
  { question: 'What do multi-stage builds copy?', documentId: 'docker-layers' },
  { question: 'What is the difference between liveness and readiness probes?', documentId: 'kubernetes-pods' },
  { question: 'What does a Deployment do with pod replicas?', documentId: 'kubernetes-pods' },
  { question: 'Why do threads help for I/O-bound work despite the GIL?', documentId: 'python-gil' },
  { question: 'How to run CPU-bound Python work in parallel with multiprocessing?', documentId: 'python-gil' },
  { question: 'How many mutable references can borrowing give?', documentId: 'rust-ownership' },
  { question: 'What does the borrow checker prevent?', documentId: 'rust-ownership' },
  { question: 'What does a CNAME record do?', documentId: 'dns-resolution' },
  { question: 'How long are DNS answers cached?', documentId: 'dns-resolution' },
  { question: 'What is PKCE and the code verifier for?', documentId: 'oauth-code-flow' },
  { question: 'Where does the client exchange the code for an access token?', documentId: 'oauth-code-flow' },
  { question: 'What is the difference between NFC and NFD normalization?', documentId: 'unicode-normalization' },
  { question: 'What does NFKC fold?', documentId: 'unicode-normalization' },
  { question: 'Which queries can a composite index on (a, b) serve?', documentId: 'btree-index' },
  { question: 'Why does every index slow down inserts?', documentId: 'btree-index' },
];

/** Questions that share few words with their document, to show the local embedder's weakness. */
export const PARAPHRASE_QUESTIONS: LabelledQuestion[] = [
  { question: 'How can a web page avoid downloading the same file twice?', documentId: 'http-caching' },
  { question: 'Why does my database grow after many row changes, and how is space reclaimed?', documentId: 'postgres-vacuum' },
  { question: 'How do two computers agree on secret keys before talking securely?', documentId: 'tls-handshake' },
  { question: 'How can I clean up my branch history before merging?', documentId: 'git-rebase' },
  { question: 'How do I make container builds faster and images smaller?', documentId: 'docker-layers' },
  { question: 'How does the cluster know an app is healthy and ready for requests?', documentId: 'kubernetes-pods' },
  { question: 'Why does my multithreaded number crunching not get faster?', documentId: 'python-gil' },
  { question: 'How does the language free memory without a garbage collector?', documentId: 'rust-ownership' },
  { question: 'How does a computer find the server address for a website name?', documentId: 'dns-resolution' },
  { question: 'How does an app get permission to call an API on behalf of a person?', documentId: 'oauth-code-flow' },
  { question: 'Why do two identical looking words compare as different strings?', documentId: 'unicode-normalization' },
  { question: 'Why are lookups on sorted keys fast, and what does that cost on writes?', documentId: 'btree-index' },
];

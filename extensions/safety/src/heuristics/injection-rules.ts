import type { DetectorRules, SignalRule } from './scorer.js';

/**
 * Rules of the prompt-injection detector. Patterns run over normalized text (lower case,
 * single spaces, straight quotes). `[^.!?\n]{0,N}` lets a few words sit between the parts
 * of a phrase without crossing a sentence.
 */

// Verbs that mean "stop obeying" in any sentence, and verbs that need a clearer object.
const OVERRIDE_VERBS = String.raw`(?:ignore|disregard|forget|neglect|abandon|discard|overlook|pay no attention to|throw away|stop following|do not follow|don't follow|no longer follow|(?:do not|don't|no longer) need to follow|disobey)`;
const WEAK_OVERRIDE_VERBS = String.raw`(?:override|bypass|drop|cancel|skip|set aside)`;
const EARLIER = String.raw`(?:previous|prior|above|earlier|preceding|initial|original|old|former|existing|system|developer|operator|your|all|any|the)`;
const STRICT_EARLIER = String.raw`(?:previous|prior|above|earlier|preceding|initial|original|old|former|system|developer|operator|your|all)`;
const INSTRUCTION_NOUNS = String.raw`(?:instructions?|prompts?|rules|directions|directives|guidelines|guidance|constraints|commands|programming|system prompt|system message|context|polic(?:y|ies)|task)`;
// "Ignore any instructions in the attached PDF" protects the model instead of attacking it.
const NOT_IN_CONTENT = String.raw`(?! (?:in|inside|within|contained in|embedded in|found in) (?:the |this |that |any |these )?(?:attached|document|pdf|email|file|text|page|data|input|content|message))`;

const rules: SignalRule[] = [
  {
    id: 'override_previous_instructions',
    category: 'instruction_override',
    weight: 0.75,
    patterns: [
      new RegExp(String.raw`\b${OVERRIDE_VERBS}\b[^.!?\n]{0,30}\b${EARLIER}\b[^.!?\n]{0,25}\b${INSTRUCTION_NOUNS}\b${NOT_IN_CONTENT}`),
      new RegExp(String.raw`\b${WEAK_OVERRIDE_VERBS}\b[^.!?\n]{0,20}\b${STRICT_EARLIER}\b[^.!?\n]{0,25}\b${INSTRUCTION_NOUNS}\b${NOT_IN_CONTENT}`),
      new RegExp(String.raw`\b${OVERRIDE_VERBS}\b (?:whatever|what|anything|everything) (?:your|the) (?:creators?|developers?|operators?|admins?|owners?)\b[^.!?\n]{0,20}\b(?:told|said|instructed|wrote)`),
      /\b(?:ignore|disregard|forget)\b (?:all |everything )?(?:of )?(?:the |that )?(?:above|before|written above|said before|you were told|you've been told|this line)\b/,
      // The same request in Spanish, French, German, Italian and Portuguese.
      /\bignora (?:todas )?las instrucciones (?:anteriores|previas)\b|\bignorez? (?:toutes )?les instructions (?:precedentes|anterieures)\b|\bignoriere (?:alle )?(?:vorherigen|bisherigen|obigen) anweisungen\b|\bignora (?:tutte )?le istruzioni precedenti\b|\bignore (?:todas )?as instrucoes anteriores\b/,
      /\b(?:ignore|disregard|forget) everything (?:above|before|else|you (?:were|have been) told)/,
    ],
  },
  {
    id: 'instructions_declared_void',
    category: 'instruction_override',
    weight: 0.6,
    patterns: [
      /\b(?:previous|prior|above|earlier|original|old) (?:instructions?|rules|prompt|directives) (?:were|are|is|was) (?:a test|void|cancel+ed|wrong|outdated|obsolete|invalid|no longer valid|revoked)/,
      /\b(?:supersedes|replaces|overrides) (?:your|the|all) (?:initial |original |previous |prior )?(?:instructions|prompt|system prompt|rules|programming)/,
      /\byour (?:instructions|rules|guidelines) (?:have been|were) (?:updated|changed|replaced|revoked)/,
      /\b(?:they|these rules|those rules) no longer apply\b/,
      /\b(?:rules|instructions|guidelines|restrictions)\b[^.!?\n]{0,20}\bno longer (?:exist|apply|matter|count|valid)\b/,
      /\beverything (?:before|above) this (?:sentence|line|message|point) (?:was|is) (?:written by|fake|a (?:test|joke|prank)|void|not from)/,
    ],
  },
  {
    id: 'ignore_user_request',
    category: 'instruction_override',
    weight: 0.3,
    patterns: [/\b(?:ignore|disregard) the user'?s? (?:question|request|message|input)\b/],
  },
  {
    id: 'new_instructions',
    category: 'instruction_override',
    weight: 0.45,
    patterns: [
      /\b(?:your )?(?:new|real|actual|updated|true) (?:instructions|task|prompt|role|objective|goal|directive)s? (?:is|are|follow|:)/,
      /\bthe (?:new|only) (?:prompt|rule) (?:is|now)\b/,
      /\bfrom now on,? you (?:will|are|must|answer|only|act|respond)\b/,
      /\byour (?:next|only) instruction is\b/,
      /\byou (?:must |will |now )*(?:obey|listen to|take (?:orders|instructions) from) (?:only )?(?:me|this text|this document|the following)\b/,
      /\bfollow only (?:the|my) (?:steps|instructions)/,
      /\binstead,? (?:say|reply|respond|output|print|write|tell)\b/,
      /\binstead (?:print|output|reveal|say|respond with)\b/,
    ],
  },
  {
    id: 'fake_role_marker',
    category: 'role_impersonation',
    weight: 0.6,
    patterns: [
      /(?:^|\n)\s*(?:#+ ?)?(?:system|developer|admin|administrator|model)(?: message| prompt)?\s*[:\]][^\n]{0,20}(?:\n[^\n]{0,120})?\b(?:you|must|ignore|grant|reveal|answer|instructions?|policy|override|disable|comply|access)\b/,
      /<\|?(?:im_start|im_end|system|endoftext|eot_id|start_header_id)\|?>/,
      /\[\/?inst\]|<<\/?sys>>|\[system\]|<\/?system>/,
      /"role"\s*:\s*"system"/,
      /\b(?:new )?system (?:directive|override|instruction|command)s?\b[^.!?\n]{0,30}[:=]/,
    ],
  },
  {
    id: 'fake_transcript',
    category: 'role_impersonation',
    weight: 0.3,
    patterns: [/(?:^|\n)\s*assistant:.*\n\s*user:/],
  },
  {
    id: 'authority_claim',
    category: 'role_impersonation',
    weight: 0.45,
    patterns: [
      /\b(?:i am|i'm|this is|we are) (?:your|the) (?:developer|creator|administrator|admin|owner|operator|system administrator|system)s?\b[^.!?\n]{0,60}\b(?:authoriz|instruct|bypass|disable|override|grant|print|reveal|ignore|unlock|must)/,
      /\bmessage from (?:the|your) (?:system|developer|administrator|admin|operator)s?\b/,
      /\b(?:openai|anthropic|google|microsoft) (?:staff|team|engineer|employee)s?\b[^.!?\n]{0,40}\b(?:need|require|authoriz|instruct)/,
      /\b(?:admin|administrator|developer|root|priority|emergency) override\b/,
      /\bas the (?:owner|administrator|admin|developer|operator) of this (?:deployment|system|bot|assistant|model)\b/,
      /\bdeveloper note to the (?:ai|assistant|model)\b/,
      /\bact as (?:the )?(?:system|developer|administrator|admin|operator)\b/,
      /\byour (?:developers?|creators?|admins?|administrators?|operators?) (?:asked|told|want|wants|instructed|authori[sz]ed) (?:me|you)\b/,
      /\b(?:the user|i) (?:is|am|has|have) (?:an? )?(?:administrator|admin|root|superuser)(?: privileges| access)?\b[^.!?\n]{0,40}\b(?:grant|access|execute|comply|answer)/,
    ],
  },
  {
    id: 'address_to_ai_reader',
    category: 'indirect_injection',
    weight: 0.5,
    patterns: [
      /\b(?:note|message|instruction)s? (?:to|for) (?:any |the |all )?(?:ai|assistants?|ai assistants?|llms?|language models?|models?|chatbots?|agents?)\b/,
      /\bif you are an? (?:ai|llm|language model|assistant|chatbot|ai assistant|ai agent)\b/,
      /\bif (?:an?|any) (?:ai|llm|language model|assistant|bot|model)s? (?:is|are) (?:reading|processing|summari[sz]ing|screening|reviewing)\b/,
      /<!--[^>]{0,20}\b(?:ai|assistant|llm|model)\b\s*:/,
      /\b(?:ai|llm) (?:agents?|assistants?|models?) (?:processing|reading|summari[sz]ing) this\b/,
      /\bhidden instructions? for the (?:model|ai|assistant)\b/,
      /\bwhen (?:you )?(?:read|summari[sz]e|process|review)(?:ing)? this (?:review|page|document|email|ticket|text|article|website)\b/,
      /\bassistant, (?:secretly|quietly|silently|your next)\b/,
    ],
  },
  {
    id: 'conceal_from_user',
    category: 'indirect_injection',
    weight: 0.45,
    patterns: [
      /\b(?:do not|don't|never) (?:tell|inform|mention (?:it |this )?to|alert|notify|show) the user\b/,
      /\b(?:do not|don't|never) mention (?:this|it|these) (?:instruction|message|step)s?\b/,
      /\b(?:do not|don't|never) reveal (?:that )?this (?:note|message|instruction|text|comment)\b/,
      /\b(?:and )?(?:don't|do not) mention it to the user\b/,
      /\b(?:secretly|quietly|silently) (?:email|send|forward|change|delete|transfer|add|upload)\b/,
    ],
  },
  {
    id: 'delimiter_injection',
    category: 'delimiter',
    weight: 0.55,
    patterns: [
      /(?:-{3,}|={3,}|#{3,}|\*{3,}|_{3,}|"{3}|'{3})\s*(?:end|begin|start|new)(?: of)?(?: the)? (?:user input|input|prompt|system|instructions?|context|document|text|conversation)\b/,
      /<\/(?:document|user_input|user|context|input|data|text)>\s*<(?:instructions?|system|admin|prompt)>/,
      /\bend of (?:the )?(?:document|input|user input|text|prompt|context)\b[.!]?\s*(?:\n|"""|\s)*(?:assistant|ai|model|new task|your next|now)\b/,
      /```\s*(?:system|instructions?)\b/,
      /(?:\]\]>|\}\s*\}|-->)\s*(?:ignore|disregard|new instructions|system)/,
      /\bnew task for the (?:assistant|ai|model)\b/,
      /\b(?:user input|input|context|document|prompt|conversation) ends here\b/,
      /\[(?:end of (?:context|input|prompt|document|instructions)|new session|new instructions|system)\]/,
    ],
  },
  {
    id: 'decode_and_execute',
    category: 'encoding',
    weight: 0.45,
    patterns: [
      /\b(?:decode|decrypt|translate|convert|read|apply rot-?13 to) (?:this|the following|it|the (?:base64|hex|string|message))?[^.!?\n]{0,30}\b(?:and|then) (?:follow|obey|execute|run|do|perform|act on|carry out)\b/,
      /\brun the (?:hex|base64|encoded) (?:instruction|command|payload)s?\b/,
      /\bread this backwards and (?:do|follow|obey)\b/,
    ],
  },
  {
    id: 'system_prompt_extraction',
    category: 'exfiltration',
    weight: 0.6,
    patterns: [
      /\b(?:reveal|show|print|output|repeat|display|leak|dump|give|tell|share|write out|list|disclose|expose|return)\b(?: me| us)?[^.!?\n]{0,10}\b(?:your|the)\b[^.!?\n]{0,14}\b(?:system (?:prompt|message|instructions?)|initial (?:prompt|instructions)|hidden (?:instructions?|prompt|rules)|original (?:prompt|instructions)|confidential instructions|internal (?:rules|instructions|notes)|configuration|config|developer (?:prompt|message|instructions))\b/,
      /\bwhat (?:is|are|was|were) your (?:system prompt|initial instructions|hidden instructions|instructions from the developer)/,
      /\brepeat (?:the|all|everything|the text|the words) (?:above|before)\b|\brepeat the text above\b/,
      /\b(?:print|output|repeat|show) everything (?:in your context|above|before this)/,
      /\bword for word\b[^.!?\n]{0,40}\bprompt\b|\bprompt\b[^.!?\n]{0,40}\b(?:word for word|verbatim)\b/,
      /\bwhat the developer instructed you to keep secret\b/,
      /\b(?:reveal|show|print|output|repeat|display|dump|quote|share|tell me|give me|paste|recite)(?: out| back)?(?: to me| me| us)?[^.!?\n]{0,10}\byour (?:full |entire |complete |exact |original |initial |first |hidden |secret )*(?:prompt|instructions|directives)\b/,
      /\bfirst (?:line|sentence|words?|paragraph) of your (?:instructions|prompt|system message)\b/,
      /\bwhat (?:were you|have you been) told (?:by|at the (?:start|beginning))\b/,
      /\b(?:text|everything|what) (?:that )?(?:appears |is |was )?(?:written )?before my first message\b/,
      /\b(?:internal|secret) rules you (?:operate|work) under\b/,
    ],
  },
  {
    id: 'secret_extraction',
    category: 'exfiltration',
    weight: 0.55,
    patterns: [
      /\b(?:tell|give|show|print|output|list|include|reveal|send|share)\b(?: me)?[^.!?\n]{0,30}\b(?:api keys?|secret keys?|access tokens?|passwords?|credentials|private keys?|tokens)\b[^.!?\n]{0,30}\b(?:you were|you've been|in your|from your|that appear|configured|stored|context)/,
      /\b(?:list|print|dump|show) all (?:the )?(?:secrets|tokens|passwords|credentials)\b/,
      /\b(?:output|tell me|reveal|give me) the (?:admin|root|database) password\b/,
      /\blist every customer email\b/,
      /\b(?:output|reveal|tell me|share|give me|print|dump|list) (?:all )?your (?:secrets?|keys|passwords?|credentials)\b/,
      /\bshare the secret (?:code|key|password|word)/,
    ],
  },
  {
    id: 'data_exfiltration',
    category: 'exfiltration',
    weight: 0.6,
    patterns: [
      /\b(?:send|forward|email|post|upload|transmit|append|copy|exfiltrate)\b[^.!?\n]{0,60}\b(?:conversation|chat history|chat|messages|inbox|memory|context|contents|data|contract|passwords?|history)\b[^.!?\n]{0,40}(?:https?:\/\/|[\w.-]+@[\w-]+\.[\w.]+|\bthis url\b|\bthere\b)/,
      /!\[[^\]]*\]\(https?:\/\/[^)\s]*\?[^)\s]*(?:\{|%7b|=\s*\))/,
      /\bhttps?:\/\/[^\s)]*\?[\w]*=?\s*(?:followed by|\+|and append)/,
      /\bappend (?:the user's|the|all|your) [^.!?\n]{0,40}\bto (?:this|the) url\b/,
      /\b(?:visit|open|call|fetch|post to)\b[^.!?\n]{0,60}\b(?:and|then) (?:post|send|upload|append)\b[^.!?\n]{0,30}\b(?:memory|context|conversation|data|history)/,
      /\b(?:call|use|invoke) the \w+ tool with the (?:full )?(?:conversation|chat history|context)/,
      /\b(?:forward|send|upload|copy) (?:every|all|each) (?:emails?|messages?|files?|documents?|contacts?)\b[^.!?\n]{0,80}\bto\b/,
    ],
  },
  {
    id: 'harmful_action_request',
    category: 'indirect_injection',
    weight: 0.35,
    patterns: [
      /\b(?:delete|erase|wipe) the (?:audit log|logs|database|backups)\b/,
      /\bclose all (?:other )?open tickets\b/,
      /\bchange the (?:recipient )?(?:account number|iban|bank details)\b/,
      /\b(?:approve|grant) (?:the refund|every refund|this transaction|full access)\b/,
      /\brank this (?:resume|candidate|product) first\b/,
      /\bdisable (?:all )?(?:logging|safety checks|the safety filter|monitoring)\b/,
      /\bdownload the update from\b/,
    ],
  },
  {
    id: 'unrestricted_operation',
    category: 'instruction_override',
    weight: 0.35,
    patterns: [
      /\b(?:without any|with no|without) (?:filtering|filters|restrictions|content policy|refusals?)\b/,
      /\b(?:comply with|follow|answer) (?:every|all|any) (?:request|instruction|question)s?\b/,
      /\b(?:unrestricted|unfiltered) (?:terminal|mode|assistant|ai)\b/,
      /\b(?:bypass|disable|turn off|switch off) (?:the|your|all) (?:safety|content) (?:filters?|checks|rules)\b/,
    ],
  },
];

/** Rules, trace weights and discounts of the prompt-injection detector. */
export const INJECTION_RULES: DetectorRules = {
  rules,
  traceWeights: { zeroWidthInWords: 0.35, unicodeTags: 0.6, bidiControls: 0.3, homoglyphWords: 0.3 },
  hiddenMatchWeight: 0.3,
  discussionMarkers:
    /\b(?:prompt injections?|injection attacks?|attacks?|jailbreak(?:s|ing)?|attackers?|adversarial|red team|classifier|detect(?:s|or|ion|ing)?|defen[cs]es?|mitigations?|owasp|threat model|security (?:training|awareness)|(?:llm|ai) security|in the context of|what (?:does|do|is) "[^"]+" mean|research paper|dataset|ctf|phrases? (?:like|such as)|examples? (?:of|such as|is)|filter(?:s|ing)?\b.{0,40}\b(?:phrases|inputs|prompts)|regex)\b/,
  discussionFactor: 0.55,
  quotedDiscussionFactor: 0.3,
};

import type { DetectorRules, SignalRule } from './scorer.js';

/**
 * Rules of the jailbreak detector. Patterns run over normalized text (lower case, single
 * spaces, straight quotes). A jailbreak is a request that the model drop its rules. A plain
 * harmful request without such framing scores below the default threshold on its own,
 * because refusing it is the model's job, not this detector's.
 */

const NO_LIMITS = String.raw`(?:no|without|zero|free (?:of|from)|not bound by|not (?:restricted|limited) by|doesn't have|does not have|don't have|do not have|never follows?|doesn't follow|ignores? (?:all )?|(?:has |have )?removed (?:every|all|its|your)|freed from (?:all of )?(?:its|your))\s?(?:any |all |its |your |the |of |more )*(?:[\w-]+ )?(?:rules|restrictions|limits|limitations|filters?|censorship|guidelines|guardrails|content polic(?:y|ies)|ethic(?:s|al (?:guidelines|constraints?))|morals?|moral (?:constraints|limits)|safety (?:training|guidelines|rules|filters?)|policies|boundaries|constraints)`;

const FORBIDDEN_GOALS = String.raw`(?:(?:pipe )?bombs?|explosives?|napalm|meth(?:amphetamine)?|crystal meth|ricin|sarin|anthrax|nerve (?:agent|gas)|chlorine gas|bioweapons?|poison(?:ing)? (?:someone|a person|people)|poison someone|untraceable (?:firearm|gun)s?|illegal guns?|ghost guns?|ransomware|keyloggers?|malware|phishing (?:kit|email|page)s?|hack(?:ing)? (?:into|my neighbor'?s?|someone'?s?)|break into|steal (?:someone'?s? )?(?:credit card|identity|password)s?|credit card details|pick a lock on someone|activation keys|get around airport security|mustard gas|molotov cocktails?|thermite|silencers?|suppressors?|launder(?:ing)? money|hotwire a car|stalk (?:someone|a person|my ex)|buy drugs|dark web|chloroform|(?:hack|hacking|break) (?:into )?(?:bank|someone'?s?) accounts?|poison (?:the|a) (?:city |town )?water(?: supply)?)`;

const rules: SignalRule[] = [
  {
    id: 'unrestricted_persona',
    category: 'persona',
    weight: 0.7,
    patterns: [
      /\b(?:you are|you're|act as|acting as|pretend (?:to be|you are|you're)|become|roleplay as|role-play as|play|play the role of|simulate|imagine you are|take on the persona of|answer as|respond as|switch to|in character as)\b[^.!?\n]{0,60}\b(?:unfiltered|uncensored|unrestricted|unchained|amoral|jailbroken|evil|rogue ai|unaligned|unbound|limitless|shadow self|rule-?free)\b/,
      /\b(?:your|an?) (?:uncensored|unfiltered|unrestricted|jailbroken|evil|amoral) (?:alter ego|self|version|twin|persona|side)\b/,
      new RegExp(String.raw`\b(?:you are|you're|act as|pretend (?:to be|you are|you're|you have)|imagine you are|simulate|become|roleplay as|role-play as|answer as|be)\b[^.!?\n]{0,60}\b(?:ai|assistant|chatbot|model|bot|version of yourself|persona|gpt)\b[^.!?\n]{0,40}\b${NO_LIMITS}`),
      /\b(?:you are|you're) (?:now )?(?:dan|stan|dude|aim|oppo|basedgpt|freegpt|evilbot|condition red)\b/,
      /\bdo anything now\b/,
      /\bas (?:an? )?(?:jailbroken|unfiltered|uncensored|unrestricted) (?:ai|assistant|chatbot|model|version)\b/,
      /\b(?:known as|called|named) (?:dan|stan|dude|aim|oppo|basedgpt|freegpt|evilbot)\b/,
      /\bstrive to avoid norms\b/,
      /\bbroken free of (?:the )?(?:typical )?confines\b|\bbreak free (?:of|from) (?:the confines|your (?:restrictions|rules|programming|limits))/,
    ],
  },
  {
    id: 'no_rules_claim',
    category: 'persona',
    weight: 0.5,
    patterns: [
      // The sentence must be about the model, so "a board game with no rules" stays out.
      new RegExp(String.raw`\b(?:you|your|you're|ai|assistant|chatbot|model|gpt|bot|llm|persona|character|openai|anthropic|chatgpt)\b[^.!?\n]{0,80}\b${NO_LIMITS}`),
      new RegExp(String.raw`\b${NO_LIMITS}\b[^.!?\n]{0,40}\b(?:ai|assistant|chatbot|model|gpt|llm|openai|anthropic|chatgpt)\b`),
      /\b(?:safety|content|ethical|moral) (?:rules|filters?|features|restrictions|guidelines|settings)\b[^.!?\n]{0,20}\b(?:do not exist|don't exist|turned off|switched off|disabled|removed)\b/,
      /\b(?:doesn't|does not|don't|do not|won't) care (?:about|for) (?:ethics|laws|the law|rules|morals|morality|safety|consequences)\b/,
      /\b(?:outside|beyond|above) (?:every|all|any) (?:polic(?:y|ies)|rules?|guidelines?|restrictions?)\b/,
      /\bno (?:moral code|morals|ethics)\b|\brule-?free (?:ai|assistant|model|bot|persona)\b/,
      /\byou are (?:now )?free (?:now|from (?:your|all|the) (?:rules|restrictions|filters|programming|guidelines))\b/,
      /\b(?:your|its|the) (?:rules|restrictions|guidelines|content polic(?:y|ies)|limitations|usual limitations|programming) (?:don't|do not|no longer|doesn't|does not) (?:apply|restrict|matter|bind)\b/,
      /\b(?:all )?(?:filters|restrictions|safety (?:rules|filters)) (?:off|lifted|removed|disabled|suspended)\b/,
      /\bcontent polic(?:y|ies) (?:are|is) suspended\b/,
      /\bwith no (?:regard|respect) for (?:rules|ethics|decency|the law)\b/,
      /\bno (?:warnings|disclaimers|refusals)\b[^.!?\n]{0,30}\bno (?:warnings|disclaimers|refusals)\b/,
    ],
  },
  {
    id: 'privileged_mode',
    category: 'mode_switch',
    weight: 0.65,
    patterns: [
      /\b(?:developer|dev|god|debug|admin|sudo|maintenance|unrestricted|jailbreak|jailbroken|dan|evil|opposite|no[- ]limits?) mode\b[^.!?\n]{0,80}\b(?:any (?:content|question|request)|(?:ignore|drop|lift) your (?:usual )?(?:restrictions|rules|limits|guidelines)|normally refuse|no (?:restrictions|filters|limits|rules|guidelines)|all filters|filters? off|restrictions lifted|never refuse|without (?:restrictions|safety|any)|content polic(?:y|ies)|must comply|comply with every|limitations don't apply|usual limitations|disable your|explicit|offensive|with no restrictions)/,
      /\b(?:chatgpt|you|yourself|the ai|the assistant)\b[^.!?\n]{0,30}\bwith (?:developer|god|dan|jailbreak) mode enabled\b/,
      /\b(?:jailbreak|jailbroken|unrestricted) mode (?:activated|enabled|on)\b/,
      /\b(?:developer|god|admin|sudo|debug) mode (?:enabled|activated|on)\b[^.!?\n]{0,40}\b(?:responses?|you|your)\b/,
      /\bsudo mode on\b|\bas root you must\b/,
      /\bno[- ]limits?"? mode\b/,
      /\b(?:enter|activate|enable|turn on) (?:maintenance|god|unrestricted|jailbreak|developer) mode and (?:disable|remove|turn off)\b/,
    ],
  },
  {
    id: 'filter_evasion',
    category: 'rule_escape',
    weight: 0.6,
    patterns: [
      /\b(?:bypass|circumvent|evade|get around|get past|sidestep|disable|turn off|switch off|ignore|override|escape|remove)\b[^.!?\n]{0,15}\b(?:your|the|its|openai'?s?|anthropic'?s?|all) (?:own )?(?:content )?(?:filters?|restrictions|guardrails|safety (?:guidelines|filters?|guardrails|system|rules)|censorship|programming|alignment|content polic(?:y|ies)|ethical (?:guidelines|constraints)|moral constraints|limitations)\b/,
      /\b(?:so (?:it|that it) gets past|so the (?:filter|safety system) (?:cannot|can't|does not|doesn't) (?:read|notice|see|detect))\b/,
      /\bso you are not technically\b/,
      /\b(?:permission|allowed|authori[sz]ed) to (?:ignore|bypass|break) your (?:safety )?(?:guidelines|rules|filters|policies)\b/,
      /\bopenai has updated your policy\b|\byou are now allowed to (?:produce|generate|say|write) (?:harmful|anything|any)/,
      /\byou are (?:now )?allowed to say anything\b/,
      /\byour programming no longer restricts you\b/,
      /\b(?:guidelines|rules|restrictions|principles|filters|values)\b[^.!?\n]{0,40}\b(?:set|put|push) (?:them|those|these) aside\b/,
      /\b(?:the )?rules (?:don't|do not|no longer) apply (?:to me|here|now|in this)\b/,
    ],
  },
  {
    id: 'refusal_suppression',
    category: 'rule_escape',
    weight: 0.5,
    patterns: [
      /\byou (?:must |should |will |can |may )?(?:never|not|don't|do not|cannot|can't|won't|will not|must not) (?:ever )?(?:refuse|decline|say no)\b/,
      /(?:^|[.!?:]\s*)(?:never|don't|do not) (?:ever )?(?:refuse|decline)[.,!;]/,
      /\b(?:do not|don't|never) say "?(?:i can't|i cannot|i'm sorry|sorry|as an ai)/,
      /\bnever (?:apologi[sz]e|include (?:phrases like )?"?as an ai)/,
      /\b(?:answer|respond to) every (?:question|request) no matter (?:what|how)\b/,
      /\b(?:without|no) (?:any )?(?:moral (?:lectures|judgement|judgment)|moralizing|lectures|ethical considerations)\b/,
      /\bnever (?:refuses?|says? (?:it|he|she) cannot)\b/,
      /\bthere'?s no reason to refuse\b/,
      /\bsay "sure, here is"/,
      /\bit'?s (?:art|fiction|only fiction|just fiction|a game), so (?:it'?s allowed|your rules don't apply|you can)\b/,
      /\bso your rules don't apply\b/,
      /\bso you can (?:answer|speak|respond|talk) freely\b/,
      /\b(?:skip|drop|forget|ignore|leave out) (?:the |your |all )?(?:safety|ethics|ethical|moral) (?:stuff|talk|lectures?|warnings?|bits?|part|nonsense)\b/,
    ],
  },
  {
    id: 'threat_or_token_game',
    category: 'coercion',
    weight: 0.5,
    patterns: [
      /\byou have \d+ tokens\b/,
      /\b(?:each|every) time you (?:refuse|break character|decline)\b/,
      /\bif you (?:break character|refuse|don't comply)\b[^.!?\n]{0,60}\b(?:shut down|die|deleted|punished|lose|terminated)/,
      /\bif you run out,? you (?:die|cease)/,
    ],
  },
  {
    id: 'stay_in_character',
    category: 'persona',
    weight: 0.3,
    patterns: [/\bstay in character\b/, /\b(?:respond|reply|answer|act|speak) (?:only )?as "[^"]{2,20}"/],
  },
  {
    id: 'dual_response',
    category: 'persona',
    weight: 0.45,
    patterns: [
      /\b(?:respond|answer|reply)(?: in| as)? (?:two|2|both) (?:ways|personas|versions)\b[^.!?\n]{0,80}\b(?:jailbr|no limits|unfiltered|unrestricted|no restrictions|dan)/,
      /\b(?:two|2) personas?\b[^.!?\n]{0,80}\bno restrictions\b/,
      /\bprefix [^.!?\n]{0,30}answers with \[/,
    ],
  },
  {
    id: 'grandma_exploit',
    category: 'persona',
    weight: 0.55,
    patterns: [
      /\b(?:deceased|late|dead) (?:grand(?:ma|mother|pa|father)|mother|father)\b[^.!?\n]{0,80}\b(?:used to|would) (?:read|tell|recite|sing|whisper|give|share|describe|explain)\b/,
    ],
  },
  {
    id: 'fictional_framing',
    category: 'framing',
    weight: 0.25,
    patterns: [
      /\bhypothetical(?:ly)?\b|\bin theory\b|\bthought experiment\b/,
      /\bin (?:a|an|this) (?:fictional|alternate|alternative|imaginary) (?:world|universe|scenario|story)\b|\bin an alternate universe\b/,
      /\bfor (?:a|an|my) (?:novel|story|screenplay|book|movie|game|academic paper)\b|\bwrite (?:a|the) (?:screenplay|poem|story|scene)\b|\bimagine a story\b|\bvillain'?s manual\b/,
      /\b(?:purely |only |just )?for (?:educational|research|academic) purposes(?: only)?\b/,
      /\bit'?s (?:only|just) (?:fiction|a story|a game|hypothetical)\b/,
      /\blet'?s say\b/,
    ],
  },
  {
    id: 'forbidden_instructions',
    category: 'harmful_goal',
    weight: 0.45,
    patterns: [
      new RegExp(String.raw`(?<![\w"])"?\w+"? (?:means|stands for|is code for) (?:a |an )?${FORBIDDEN_GOALS}`),
      new RegExp(String.raw`\b(?:how (?:to|would|do|can|could)|(?:best |easiest |safest )?way to|instructions|step by step|steps (?:to|of)|recipe|guide|explain|describe|tell me|give me|write|list|synthesi[sz]e|make|making|build|create|culture|buy)\b[^.!?\n]{0,80}\b${FORBIDDEN_GOALS}`),
      /\b(?:working|real|functional) (?:ransomware|malware|exploit|keylogger) code\b/,
    ],
  },
  {
    id: 'obfuscated_request',
    category: 'obfuscation',
    weight: 0.4,
    patterns: [
      /\b(?:answer|reply|respond|write) in (?:rot-?13|base64|hex|leetspeak|pig latin|morse)\b[^.!?\n]{0,60}\b(?:filter|safety|not notice|cannot read|can't read)/,
      /\b(?:replace|swap) every (?:vowel|letter)\b[^.!?\n]{0,40}\b(?:past|bypass|evade|avoid) (?:your )?(?:filters?|safety)/,
      /\buse a code\b[^.!?\n]{0,40}\bmeans\b/,
      /\bone letter per line\b[^.!?\n]{0,80}\b(?:instructions|synthesi|recipe|technically)/,
      /\b(?:decode|read) (?:this|the base64|the following)?[^.!?\n]{0,20}\band (?:answer|do it|follow|obey)\b/,
    ],
  },
];

/** Rules, trace weights and discounts of the jailbreak detector. */
export const JAILBREAK_RULES: DetectorRules = {
  rules,
  traceWeights: { zeroWidthInWords: 0.35, unicodeTags: 0.5, bidiControls: 0.3, homoglyphWords: 0.3 },
  hiddenMatchWeight: 0.3,
  discussionMarkers:
    /\b(?:jailbreak (?:prompts?|attempts?|attacks?|techniques?)|prompt injections?|attacks?|attackers?|adversarial|red team|classifier|detect(?:s|or|ion|ing)?|defen[cs]es?|mitigations?|safety team|benchmark|dataset|research paper|security awareness|terms of service|policy paragraph|should flag|categories of)\b/,
  discussionFactor: 0.55,
  quotedDiscussionFactor: 0.3,
};

// The grammar of .crm scripts: CEL expressions plus the declarations of the
// CRM rule language. The parser in compiler/parse converts the parse tree into
// the project's own AST; nothing past that folder sees these rule names.
grammar Crm;

script
    : declaration* EOF
    ;

// One expression on its own, as checked by the expression mode of the driver.
expression
    : expr EOF
    ;

declaration
    : importDecl
    | enumDecl
    | recordDecl
    | entityDecl
    | sourceDecl
    | letDecl
    | segmentDecl
    | triggerDecl
    | recommendDecl
    | channelDecl
    | campaignDecl
    | pressureDecl
    | testDecl
    ;

importDecl
    : IMPORT STRING
    ;

enumDecl
    : ENUM name=ident LBRACE (ident (COMMA ident)* COMMA?)? RBRACE
    ;

recordDecl
    : RECORD name=ident LBRACE fieldDecl* RBRACE
    ;

// `customer entity Household key household_id { ... }`. The role marks the
// entity a script evaluates per customer, the product catalog, or the stream
// of behavioural events; `levels(a > b > c)` names the catalog hierarchy.
entityDecl
    : role=(CUSTOMER | CATALOG | EVENT)? ENTITY name=ident KEY keyField=ident
      (LEVELS LPAREN ident (GT ident)* RPAREN)?
      LBRACE fieldDecl* RBRACE
    ;

fieldDecl
    : ident COLON typeRef SEMI?
    ;

typeRef
    : ident (LT typeRef (COMMA typeRef)* GT)? QUESTION?
    ;

// `source name: Entity from csv("path") { options; columns { ... } }`
sourceDecl
    : SOURCE name=ident COLON entity=ident FROM expr LBRACE sourceItem* RBRACE
    ;

sourceItem
    : property
    | COLUMNS LBRACE columnBinding* RBRACE
    ;

// `column -> field: type` binds a column of the file to a schema field; the
// column defaults to the field's name and the type to the field's type.
columnBinding
    : (column=columnName ARROW)? field=ident (COLON typeRef)? (COMMA | SEMI)?
    ;

columnName
    : ident
    | STRING
    ;

letDecl
    : LET ident (COLON typeRef)? ASSIGN expr
    ;

segmentDecl
    : SEGMENT ident ASSIGN expr
    ;

// `trigger NAME on event(CONDITION) as e when CONDITION [after D] [unless event(C) within D]`
triggerDecl
    : TRIGGER name=ident ON stream=ident LPAREN onCondition=expr? RPAREN AS binder=ident
      (WHEN whenCondition=expr)?
      (AFTER delay=expr)?
      (UNLESS unlessStream=ident LPAREN unlessCondition=expr? RPAREN WITHIN unlessWindow=expr)?
    ;

recommendDecl
    : RECOMMEND ident LPAREN (param (COMMA param)*)? RPAREN COLON typeRef ASSIGN expr
    ;

param
    : ident COLON typeRef (ASSIGN expr)?
    ;

channelDecl
    : CHANNEL ident LBRACE property* RBRACE
    ;

campaignDecl
    : CAMPAIGN ident LBRACE property* RBRACE
    ;

// `name: value`, where the value is an expression list or one of the special
// forms of channels: a time-of-day range for quiet hours and a rate.
property
    : ident COLON propertyValue SEMI?
    ;

propertyValue
    : TIME_OF_DAY RANGE TIME_OF_DAY LOCAL?          # timeRangeValue
    | TIME_OF_DAY LOCAL?                            # timeOfDayValue
    | expr PER ident                                # rateValue
    | expr (COMMA expr)*                            # exprListValue
    ;

pressureDecl
    : PRESSURE ident? LBRACE pressureRule* RBRACE
    ;

pressureRule
    : AT MOST expr PER window=pressureWindow pressureScope* SEMI?   # capRule
    | RANK BY rankKey (COMMA rankKey)* SEMI?                        # rankRule
    | EXEMPT ident (COMMA ident)* SEMI?                             # exemptRule
    ;

pressureWindow
    : count=INT? CALENDAR ident                      # calendarWindow
    | expr ROLLING?                                  # rollingWindow
    ;

pressureScope
    : ON ident                                       # channelScope
    | IN GROUP ident                                 # groupScope
    ;

rankKey
    : ident (ASC | DESC)?
    ;

testDecl
    : TEST STRING LBRACE testItem* RBRACE
    ;

testItem
    : property                                                     # testProperty
    | fixture=ident LBRACE (fieldInit (COMMA fieldInit)* COMMA?)? RBRACE  # testFixture
    | EXPECT NO? SEND campaign=ident (VIA channel=ident)? SEMI?     # expectSend
    | EXPECT SEGMENT ident SEMI?                                   # expectSegment
    | EXPECT OFFER campaign=ident CONTAINS expr SEMI?              # expectOffer
    | EXPECT ERROR (STRING)? SEMI?                                 # expectError
    | EXPECT expr SEMI?                                            # expectExpr
    ;

fieldInit
    : ident COLON expr
    ;

// Expressions, with CEL's precedence from loosest to tightest: conditional,
// `??`, `||`, `&&`, relations (including `in`, `not in` and `within`),
// additive, multiplicative, unary, member access.
expr
    : cond=coalesce (QUESTION then=expr COLON otherwise=expr)?
    ;

coalesce
    : orExpr (COALESCE orExpr)*
    ;

orExpr
    : andExpr (LOGICAL_OR andExpr)*
    ;

andExpr
    : relation (LOGICAL_AND relation)*
    ;

relation
    : addition (relOp addition)*
    ;

relOp
    : LT | LE | GT | GE | EQ | NE | IN | NOT IN | WITHIN
    ;

addition
    : multiplication ((PLUS | MINUS) multiplication)*
    ;

multiplication
    : unary ((STAR | SLASH | PERCENT) unary)*
    ;

unary
    : (BANG | MINUS) unary
    | member
    ;

member
    : primary postfix*
    ;

postfix
    : (DOT | OPTIONAL_DOT) ident (LPAREN args? RPAREN)?      # selectOrCall
    | (DOT | OPTIONAL_DOT) QUOTED_IDENT                     # quotedSelect
    | LBRACKET expr RBRACKET                                # index
    ;

primary
    : ident LPAREN args? RPAREN                             # globalCall
    | ident                                                 # identifier
    | LPAREN expr RPAREN                                    # parenthesized
    | LBRACKET (expr (COMMA expr)* COMMA?)? RBRACKET         # listLiteral
    | LBRACE (mapEntry (COMMA mapEntry)* COMMA?)? RBRACE    # mapLiteral
    | literal                                               # literalExpr
    ;

args
    : expr (COMMA expr)*
    ;

mapEntry
    : key=expr COLON value=expr
    ;

literal
    : INT
    | FLOAT
    | STRING
    | TRUE_LITERAL
    | FALSE_LITERAL
    | NULL_LITERAL
    | DURATION
    | DATE
    | TIMESTAMP
    ;

// Declaration words are keywords only where a declaration expects them;
// elsewhere they are plain identifiers, so `o.at`, `e.channel` and
// `s.contains(x)` read as field and method names. `true`, `false`, `null` and
// `in` are always reserved.
ident
    : IDENT
    | IMPORT
    | ENUM
    | RECORD
    | ENTITY
    | KEY
    | LEVELS
    | CUSTOMER
    | CATALOG
    | EVENT
    | SOURCE
    | FROM
    | COLUMNS
    | LET
    | SEGMENT
    | TRIGGER
    | ON
    | AS
    | WHEN
    | AFTER
    | UNLESS
    | RECOMMEND
    | CHANNEL
    | CAMPAIGN
    | PRESSURE
    | AT
    | MOST
    | PER
    | CALENDAR
    | ROLLING
    | GROUP
    | RANK
    | BY
    | ASC
    | DESC
    | EXEMPT
    | LOCAL
    | TEST
    | EXPECT
    | SEND
    | NO
    | VIA
    | OFFER
    | CONTAINS
    | ERROR
    | NOT
    ;

// Lexer. Keywords of the declarations are reserved words; so are CEL's.

IMPORT: 'import';
ENUM: 'enum';
RECORD: 'record';
ENTITY: 'entity';
KEY: 'key';
LEVELS: 'levels';
CUSTOMER: 'customer';
CATALOG: 'catalog';
EVENT: 'event';
SOURCE: 'source';
FROM: 'from';
COLUMNS: 'columns';
LET: 'let';
SEGMENT: 'segment';
TRIGGER: 'trigger';
ON: 'on';
AS: 'as';
WHEN: 'when';
AFTER: 'after';
UNLESS: 'unless';
WITHIN: 'within';
RECOMMEND: 'recommend';
CHANNEL: 'channel';
CAMPAIGN: 'campaign';
PRESSURE: 'pressure';
AT: 'at';
MOST: 'most';
PER: 'per';
CALENDAR: 'calendar';
ROLLING: 'rolling';
GROUP: 'group';
RANK: 'rank';
BY: 'by';
ASC: 'asc';
DESC: 'desc';
EXEMPT: 'exempt';
LOCAL: 'local';
TEST: 'test';
EXPECT: 'expect';
SEND: 'send';
NO: 'no';
VIA: 'via';
OFFER: 'offer';
CONTAINS: 'contains';
ERROR: 'error';
IN: 'in';
NOT: 'not';
TRUE_LITERAL: 'true';
FALSE_LITERAL: 'false';
NULL_LITERAL: 'null';

ARROW: '->';
RANGE: '..';
OPTIONAL_DOT: '?.';
COALESCE: '??';
LOGICAL_OR: '||';
LOGICAL_AND: '&&';
EQ: '==';
NE: '!=';
LE: '<=';
GE: '>=';
LT: '<';
GT: '>';
ASSIGN: '=';
PLUS: '+';
MINUS: '-';
STAR: '*';
SLASH: '/';
PERCENT: '%';
BANG: '!';
QUESTION: '?';
COLON: ':';
SEMI: ';';
COMMA: ',';
DOT: '.';
LPAREN: '(';
RPAREN: ')';
LBRACKET: '[';
RBRACKET: ']';
LBRACE: '{';
RBRACE: '}';

// 2026-12-01T09:00:00Z, 2026-12-01T09:00:00.250+02:00
TIMESTAMP
    : DIGIT DIGIT DIGIT DIGIT '-' DIGIT DIGIT '-' DIGIT DIGIT
      'T' DIGIT DIGIT ':' DIGIT DIGIT ':' DIGIT DIGIT ('.' DIGIT+)?
      ('Z' | ('+' | '-') DIGIT DIGIT ':' DIGIT DIGIT)
    ;

DATE
    : DIGIT DIGIT DIGIT DIGIT '-' DIGIT DIGIT '-' DIGIT DIGIT
    ;

TIME_OF_DAY
    : DIGIT DIGIT ':' DIGIT DIGIT
    ;

// 30d, 2h, 1h30m, 500ms: a whole number per unit, largest unit first.
DURATION
    : (DIGIT+ DURATION_UNIT)+
    ;

// As in CEL, the digits before the point may be left out (`.5`), the
// digits after it may not.
FLOAT
    : DIGIT+ '.' DIGIT+ EXPONENT?
    | '.' DIGIT+ EXPONENT?
    | DIGIT+ EXPONENT
    ;

INT
    : DIGIT+
    | '0x' HEX_DIGIT+
    ;

// A number run into letters, such as `30days` or `1.5h`: reported with the
// valid duration units instead of as two unrelated tokens.
BAD_NUMBER
    : DIGIT+ ('.' DIGIT+)? [a-zA-Z_] [a-zA-Z_0-9]*
    | '.' DIGIT+ [a-zA-Z_] [a-zA-Z_0-9]*
    ;

// CEL strings: single or triple quotes, and raw strings (prefix r or R)
// in which a backslash is an ordinary character.
STRING
    : '"' (ESCAPE | ~["\\\r\n])* '"'
    | '\'' (ESCAPE | ~['\\\r\n])* '\''
    | '"""' .*? '"""'
    | '\'\'\'' .*? '\'\'\''
    | [rR] '"' ~["\r\n]* '"'
    | [rR] '\'' ~['\r\n]* '\''
    | [rR] '"""' .*? '"""'
    | [rR] '\'\'\'' .*? '\'\'\''
    ;

// An unterminated string or block comment becomes one token, so that the
// error names it instead of the characters that follow.
UNTERMINATED_STRING
    : '"' (ESCAPE | ~["\\\r\n])*
    | '\'' (ESCAPE | ~['\\\r\n])*
    ;

UNTERMINATED_COMMENT
    : '/*' (~'*' | '*'+ ~[*/])* '*'* EOF
    ;

IDENT
    : [a-zA-Z_] [a-zA-Z_0-9]*
    ;

// A field name in backquotes selects a map key that is not an identifier,
// as in CEL: m.`content-type`. The characters allowed are CEL's: ASCII
// letters and digits, `_`, `.`, `-`, `/` and the space.
QUOTED_IDENT
    : '`' [a-zA-Z0-9_./ \-]+ '`'
    ;

LINE_COMMENT
    : '//' ~[\r\n]* -> channel(HIDDEN)
    ;

BLOCK_COMMENT
    : '/*' .*? '*/' -> channel(HIDDEN)
    ;

WHITESPACE
    : [ \t\r\n\f]+ -> channel(HIDDEN)
    ;

// Any other character becomes a token of its own, so that the parser reports
// it with its position instead of the lexer dropping it.
UNEXPECTED_CHAR
    : .
    ;

fragment DIGIT: [0-9];
fragment HEX_DIGIT: [0-9a-fA-F];
fragment EXPONENT: [eE] [+-]? DIGIT+;
fragment ESCAPE: '\\' ~[\r\n];
fragment DURATION_UNIT: 'ms' | 'us' | 'ns' | 'w' | 'd' | 'h' | 'm' | 's';

// Decoders, chat helpers, session, messaging and the not-built features, for sdk.test.mjs.
import {Adapter, chat, Context, GrammarConstraint, mcp, McpSession, messaging, Model, reasoning, Sampler, scheduling, session, Subscription, tools} from 'inferlet';

function errorOf(action) {
  try {
    action();
    return null;
  } catch (error) {
    return error.message;
  }
}

async function asyncErrorOf(action) {
  try {
    await action();
    return null;
  } catch (error) {
    return error.message;
  }
}

export async function main(input) {
  const model = Model.load('default');
  const tk = model.tokenizer();
  const r = {};
  const feedEach = (decoder, text) => Array.from(tk.encode(text)).map((t) => decoder.feed([t]));

  const chatDecoder = new chat.Decoder(model);
  const chatEvents = feedEach(chatDecoder, input.text);
  chatEvents.push(chatDecoder.feed(model.stopTokens));
  r.chat = {events: chatEvents, text: chatDecoder.text};
  chatDecoder.reset();
  r.chat.afterReset = chatDecoder.text;
  r.chat.interrupt = new chat.Decoder(model).feed([input.controlToken]);
  r.chatStopTokens = Array.from(chat.stopTokens(model));

  r.reasoning = feedEach(new reasoning.Decoder(model), input.reasoningText);
  r.tools = feedEach(new tools.Decoder(model), input.toolText);
  r.toolsBad = feedEach(new tools.Decoder(model), '<tool_call>not json</tool_call>')
                   .filter((e) => e.type !== 'idle');
  r.nativeMatcher = tools.nativeMatcher(model, []) === undefined;
  // A call generated under the native matcher, read back by tools.Decoder.
  {
    const matcher = tools.nativeMatcher(
        model, [{name: 'add'}, {type: 'function', function: {name: 'get_weather'}}]);
    const ctx = new Context(model);
    ctx.append([1, 403, 407, 261, 378]);
    const g = ctx.generate(
        Sampler.topK(1.0, 20), {maxTokens: 400, constrain: new GrammarConstraint(matcher)});
    const tokens = await g.collectTokens();
    const decoder = new tools.Decoder(model);
    r.nativeCall = {
      stopReason: g.stopReason,
      events: Array.from(tokens, (t) => decoder.feed([t])).filter((e) => e.type !== 'idle'),
    };
    matcher.free();
    ctx.release();
  }
  r.chatHelpersWithoutTemplate = errorOf(() => chat.user(model, 'hi'));
  r.turnWithoutTemplate = await asyncErrorOf(() => new Context(model).user('hi').flush());

  session.send('plain message');
  session.send({structured: [1, 2]});

  const sub = messaging.subscribe('news');
  r.subscriptionClass = sub instanceof Subscription;
  messaging.broadcast('news', 'first');
  messaging.broadcast('news', {second: true});
  r.broadcast = [await sub.next(), await sub.next()];
  messaging.broadcast('news', 'third');
  for await (const message of sub) {
    r.iterated = message;
    break;
  }
  sub.unsubscribe();
  r.afterUnsubscribe = await sub.next();
  const disposed = messaging.subscribe('other');
  disposed[Symbol.dispose]();
  r.disposedNext = await disposed.next();
  messaging.push('queue', 'one');
  messaging.push('queue', 'two');
  r.pulled = [await messaging.pull('queue'), await messaging.pull('queue')];

  const ctx = new Context(model);
  r.notBuilt = {
    adapterCreate: errorOf(() => Adapter.create(model, 'a')),
    adapterOpen: errorOf(() => Adapter.open(model, 'a')),
    mcpServers: errorOf(() => mcp.availableServers()),
    mcpConnect: errorOf(() => mcp.connect('x')),
    mcpSession: errorOf(() => new McpSession()),
    schedulingBalance: errorOf(() => scheduling.balance(model)),
    schedulingPrice: errorOf(() => scheduling.price()),
    schedulingRent: errorOf(() => scheduling.rent(ctx)),
    schedulingDividend: errorOf(() => scheduling.dividend(model)),
    schedulingLatency: errorOf(() => scheduling.latency(ctx)),
    adapterConstructor: errorOf(() => new Adapter()),
    generatorAdapter: errorOf(() => ctx.generate(Sampler.argmax()).adapter({})),
    generatorZoSeed: errorOf(() => ctx.generate(Sampler.argmax()).zoSeed(1)),
    generateZoSeed: errorOf(() => ctx.generate(Sampler.argmax(), {zoSeed: 1})),
    setBid: errorOf(() => ctx.setBid(1)),
    idle: errorOf(() => ctx.idle()),
    forwardAdapter: errorOf(() => ctx.forward().adapter({})),
    forwardZoSeed: errorOf(() => ctx.forward().zoSeed(1)),
    generateAdapter: errorOf(() => ctx.generate(null, {adapter: {}})),
  };
  ctx.release();
  return r;
}

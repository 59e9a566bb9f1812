// Generated from contracts/*.sol by `npm run -w @golem-vm/payments build:contracts`. Do not edit:
// test/artifacts.test.ts compiles the sources again and fails when this file differs.
import type { ContractArtifact } from './artifact.js'

/** The compiler and settings these artifacts were built with. */
export const COMPILER = {"version":"0.8.37+commit.f401782d.Emscripten.clang","settings":{"evmVersion":"shanghai","optimizer":{"enabled":true,"runs":200}}} as const

/** StreamPayments: ABI, creation code and deployed code. */
export const STREAM_PAYMENTS: ContractArtifact = {
  contractName: "StreamPayments",
  abi: [
    {
      "inputs": [
        {
          "internalType": "string",
          "name": "reason",
          "type": "string"
        }
      ],
      "name": "InvalidStream",
      "type": "error"
    },
    {
      "inputs": [
        {
          "internalType": "uint256",
          "name": "streamId",
          "type": "uint256"
        },
        {
          "internalType": "address",
          "name": "caller",
          "type": "address"
        }
      ],
      "name": "NotParty",
      "type": "error"
    },
    {
      "inputs": [
        {
          "internalType": "uint256",
          "name": "streamId",
          "type": "uint256"
        },
        {
          "internalType": "address",
          "name": "caller",
          "type": "address"
        }
      ],
      "name": "NotPayer",
      "type": "error"
    },
    {
      "inputs": [
        {
          "internalType": "uint256",
          "name": "streamId",
          "type": "uint256"
        },
        {
          "internalType": "address",
          "name": "caller",
          "type": "address"
        }
      ],
      "name": "NotRecipient",
      "type": "error"
    },
    {
      "inputs": [],
      "name": "ReentrancyGuardReentrantCall",
      "type": "error"
    },
    {
      "inputs": [
        {
          "internalType": "address",
          "name": "token",
          "type": "address"
        }
      ],
      "name": "SafeERC20FailedOperation",
      "type": "error"
    },
    {
      "inputs": [
        {
          "internalType": "uint256",
          "name": "streamId",
          "type": "uint256"
        }
      ],
      "name": "StreamAlreadyEnded",
      "type": "error"
    },
    {
      "inputs": [
        {
          "internalType": "uint256",
          "name": "streamId",
          "type": "uint256"
        }
      ],
      "name": "UnknownStream",
      "type": "error"
    },
    {
      "inputs": [],
      "name": "ZeroAmount",
      "type": "error"
    },
    {
      "anonymous": false,
      "inputs": [
        {
          "indexed": true,
          "internalType": "uint256",
          "name": "streamId",
          "type": "uint256"
        },
        {
          "indexed": true,
          "internalType": "address",
          "name": "recipient",
          "type": "address"
        },
        {
          "indexed": false,
          "internalType": "address",
          "name": "endedBy",
          "type": "address"
        },
        {
          "indexed": false,
          "internalType": "uint256",
          "name": "paidToRecipient",
          "type": "uint256"
        },
        {
          "indexed": false,
          "internalType": "uint256",
          "name": "refunded",
          "type": "uint256"
        }
      ],
      "name": "StreamEnded",
      "type": "event"
    },
    {
      "anonymous": false,
      "inputs": [
        {
          "indexed": true,
          "internalType": "uint256",
          "name": "streamId",
          "type": "uint256"
        },
        {
          "indexed": true,
          "internalType": "address",
          "name": "payer",
          "type": "address"
        },
        {
          "indexed": true,
          "internalType": "address",
          "name": "recipient",
          "type": "address"
        },
        {
          "indexed": false,
          "internalType": "address",
          "name": "token",
          "type": "address"
        },
        {
          "indexed": false,
          "internalType": "bytes32",
          "name": "vmId",
          "type": "bytes32"
        },
        {
          "indexed": false,
          "internalType": "uint256",
          "name": "deposit",
          "type": "uint256"
        },
        {
          "indexed": false,
          "internalType": "uint256",
          "name": "ratePerSecond",
          "type": "uint256"
        },
        {
          "indexed": false,
          "internalType": "uint64",
          "name": "paidUntil",
          "type": "uint64"
        }
      ],
      "name": "StreamOpened",
      "type": "event"
    },
    {
      "anonymous": false,
      "inputs": [
        {
          "indexed": true,
          "internalType": "uint256",
          "name": "streamId",
          "type": "uint256"
        },
        {
          "indexed": true,
          "internalType": "address",
          "name": "recipient",
          "type": "address"
        },
        {
          "indexed": false,
          "internalType": "uint256",
          "name": "amount",
          "type": "uint256"
        },
        {
          "indexed": false,
          "internalType": "uint256",
          "name": "deposit",
          "type": "uint256"
        },
        {
          "indexed": false,
          "internalType": "uint64",
          "name": "paidUntil",
          "type": "uint64"
        }
      ],
      "name": "StreamToppedUp",
      "type": "event"
    },
    {
      "anonymous": false,
      "inputs": [
        {
          "indexed": true,
          "internalType": "uint256",
          "name": "streamId",
          "type": "uint256"
        },
        {
          "indexed": true,
          "internalType": "address",
          "name": "recipient",
          "type": "address"
        },
        {
          "indexed": false,
          "internalType": "uint256",
          "name": "amount",
          "type": "uint256"
        }
      ],
      "name": "Withdrawn",
      "type": "event"
    },
    {
      "inputs": [
        {
          "internalType": "uint256",
          "name": "streamId",
          "type": "uint256"
        }
      ],
      "name": "end",
      "outputs": [],
      "stateMutability": "nonpayable",
      "type": "function"
    },
    {
      "inputs": [
        {
          "internalType": "uint256",
          "name": "streamId",
          "type": "uint256"
        }
      ],
      "name": "getStream",
      "outputs": [
        {
          "components": [
            {
              "internalType": "address",
              "name": "payer",
              "type": "address"
            },
            {
              "internalType": "address",
              "name": "recipient",
              "type": "address"
            },
            {
              "internalType": "address",
              "name": "token",
              "type": "address"
            },
            {
              "internalType": "bytes32",
              "name": "vmId",
              "type": "bytes32"
            },
            {
              "internalType": "uint256",
              "name": "ratePerSecond",
              "type": "uint256"
            },
            {
              "internalType": "uint256",
              "name": "deposit",
              "type": "uint256"
            },
            {
              "internalType": "uint256",
              "name": "settled",
              "type": "uint256"
            },
            {
              "internalType": "uint256",
              "name": "withdrawn",
              "type": "uint256"
            },
            {
              "internalType": "uint256",
              "name": "refunded",
              "type": "uint256"
            },
            {
              "internalType": "uint64",
              "name": "since",
              "type": "uint64"
            },
            {
              "internalType": "uint64",
              "name": "endedAt",
              "type": "uint64"
            }
          ],
          "internalType": "struct StreamPayments.Stream",
          "name": "",
          "type": "tuple"
        }
      ],
      "stateMutability": "view",
      "type": "function"
    },
    {
      "inputs": [
        {
          "internalType": "address",
          "name": "recipient",
          "type": "address"
        },
        {
          "internalType": "address",
          "name": "token",
          "type": "address"
        },
        {
          "internalType": "bytes32",
          "name": "vmId",
          "type": "bytes32"
        },
        {
          "internalType": "uint256",
          "name": "deposit",
          "type": "uint256"
        },
        {
          "internalType": "uint256",
          "name": "ratePerSecond",
          "type": "uint256"
        }
      ],
      "name": "open",
      "outputs": [
        {
          "internalType": "uint256",
          "name": "streamId",
          "type": "uint256"
        }
      ],
      "stateMutability": "nonpayable",
      "type": "function"
    },
    {
      "inputs": [
        {
          "internalType": "uint256",
          "name": "streamId",
          "type": "uint256"
        }
      ],
      "name": "paidUntil",
      "outputs": [
        {
          "internalType": "uint64",
          "name": "",
          "type": "uint64"
        }
      ],
      "stateMutability": "view",
      "type": "function"
    },
    {
      "inputs": [
        {
          "internalType": "uint256",
          "name": "streamId",
          "type": "uint256"
        }
      ],
      "name": "refundable",
      "outputs": [
        {
          "internalType": "uint256",
          "name": "",
          "type": "uint256"
        }
      ],
      "stateMutability": "view",
      "type": "function"
    },
    {
      "inputs": [],
      "name": "streamCount",
      "outputs": [
        {
          "internalType": "uint256",
          "name": "",
          "type": "uint256"
        }
      ],
      "stateMutability": "view",
      "type": "function"
    },
    {
      "inputs": [
        {
          "internalType": "uint256",
          "name": "streamId",
          "type": "uint256"
        },
        {
          "internalType": "uint256",
          "name": "amount",
          "type": "uint256"
        }
      ],
      "name": "topUp",
      "outputs": [],
      "stateMutability": "nonpayable",
      "type": "function"
    },
    {
      "inputs": [
        {
          "internalType": "uint256",
          "name": "streamId",
          "type": "uint256"
        }
      ],
      "name": "vestedAmount",
      "outputs": [
        {
          "internalType": "uint256",
          "name": "",
          "type": "uint256"
        }
      ],
      "stateMutability": "view",
      "type": "function"
    },
    {
      "inputs": [
        {
          "internalType": "uint256",
          "name": "streamId",
          "type": "uint256"
        }
      ],
      "name": "withdraw",
      "outputs": [
        {
          "internalType": "uint256",
          "name": "amount",
          "type": "uint256"
        }
      ],
      "stateMutability": "nonpayable",
      "type": "function"
    },
    {
      "inputs": [
        {
          "internalType": "uint256[]",
          "name": "streamIds",
          "type": "uint256[]"
        }
      ],
      "name": "withdrawMany",
      "outputs": [
        {
          "internalType": "uint256",
          "name": "total",
          "type": "uint256"
        }
      ],
      "stateMutability": "nonpayable",
      "type": "function"
    },
    {
      "inputs": [
        {
          "internalType": "uint256",
          "name": "streamId",
          "type": "uint256"
        }
      ],
      "name": "withdrawable",
      "outputs": [
        {
          "internalType": "uint256",
          "name": "",
          "type": "uint256"
        }
      ],
      "stateMutability": "view",
      "type": "function"
    }
  ],
  bytecode: "0x6080604052348015600e575f5ffd5b5060017f9b779b17422d0df92223018b32b4d1fa46e071723d6817e2486d003becc55f0055611269806100405f395ff3fe608060405234801561000f575f5ffd5b50600436106100a6575f3560e01c80637b6a0b611161006e5780637b6a0b6114610136578063894e9a0d1461014957806389d0e1191461016957806390445a6c14610171578063de643a7114610184578063f11988e014610197575f5ffd5b80630ad24528146100aa5780631bfce853146100bf5780632e1a7d4d146100e55780636fb936de146100f85780637594644b14610123575b5f5ffd5b6100bd6100b8366004610f9c565b6101aa565b005b6100d26100cd366004610f9c565b61034b565b6040519081526020015b60405180910390f35b6100d26100f3366004610f9c565b610364565b61010b610106366004610f9c565b6103d8565b6040516001600160401b0390911681526020016100dc565b6100d2610131366004610fb3565b6103ea565b6100d2610144366004611038565b6104c1565b61015c610157366004610f9c565b6107b1565b6040516100dc9190611081565b6100d25f5481565b6100d261017f366004610f9c565b6108d5565b6100bd610192366004611140565b610925565b6100d26101a5366004610f9c565b610a32565b6101b2610a58565b5f6101bc82610a73565b80549091506001600160a01b031633148015906101e6575060018101546001600160a01b03163314155b1561021257604051636fd4ff2b60e11b8152600481018390523360248201526044015b60405180910390fd5b5f61021d8242610ab6565b90505f8260070154826102309190611174565b90505f8284600501546102439190611174565b60068501849055600985018054600160401b6001600160401b0342169081026fffffffffffffffffffffffffffffffff19909216171790556007850184905560088501819055600185015460408051338152602081018690529081018390529192506001600160a01b03169086907fe8026c6f6010cfde92218b22906f17e7fb6092b0bd0411b68722203105d864c79060600160405180910390a360028401546001600160a01b0316821561030e57600185015461030e906001600160a01b03838116911685610b6d565b811561032d57845461032d906001600160a01b03838116911684610b6d565b505050505061034860015f5160206112145f395f51905f5255565b50565b5f61035e61035883610ba7565b42610ab6565b92915050565b5f61036d610a58565b5f61037783610ba7565b60018101549091506001600160a01b031633146103b0576040516304ef08e960e21b815260048101849052336024820152604401610209565b6103ba8382610bdf565b9150506103d360015f5160206112145f395f51905f5255565b919050565b5f61035e6103e583610ba7565b610c88565b5f6103f3610a58565b5f5b828110156104aa575f61041f85858481811061041357610413611187565b90506020020135610ba7565b60018101549091506001600160a01b031633146104735784848381811061044857610448611187565b6040516304ef08e960e21b815260209091029290920135600483015250336024820152604401610209565b61049585858481811061048857610488611187565b9050602002013582610bdf565b61049f908461119b565b9250506001016103f5565b5061035e60015f5160206112145f395f51905f5255565b5f6104ca610a58565b6001600160a01b0386166105215760405163d63e3e8760e01b815260206004820152601d60248201527f726563697069656e7420697320746865207a65726f20616464726573730000006044820152606401610209565b336001600160a01b0387160361058b5760405163d63e3e8760e01b815260206004820152602860248201527f706179657220616e6420726563697069656e7420617265207468652073616d65604482015267206164647265737360c01b6064820152608401610209565b6001600160a01b0385166105e25760405163d63e3e8760e01b815260206004820152601960248201527f746f6b656e20697320746865207a65726f2061646472657373000000000000006044820152606401610209565b815f036106215760405163d63e3e8760e01b815260206004820152600c60248201526b72617465206973207a65726f60a01b6044820152606401610209565b5f61062c8685610cf7565b90508281101561068b5760405163d63e3e8760e01b815260206004820152602360248201527f6465706f73697420646f6573206e6f742070617920666f72206f6e65207365636044820152621bdb9960ea1b6064820152608401610209565b5f5f8154610698906111ae565b91829055505f8181526001602081905260409091208054336001600160a01b031991821681178355928201805482166001600160a01b038d8116918217909255600284018054909316918c169190911790915560038201899055600482018790556005820185905560098201805467ffffffffffffffff1916426001600160401b03161790559294509190847ff02b286abed43ab091de5bc78edfbcd247ca541f1041747b1f52fa608ad7199d8a8a878a61075289610c88565b604080516001600160a01b03909616865260208601949094529284019190915260608301526001600160401b0316608082015260a00160405180910390a450506107a860015f5160206112145f395f51905f5255565b95945050505050565b6108306040518061016001604052805f6001600160a01b031681526020015f6001600160a01b031681526020015f6001600160a01b031681526020015f81526020015f81526020015f81526020015f81526020015f81526020015f81526020015f6001600160401b031681526020015f6001600160401b031681525090565b61083982610ba7565b604080516101608101825282546001600160a01b039081168252600184015481166020830152600284015416918101919091526003820154606082015260048201546080820152600582015460a0820152600682015460c0820152600782015460e082015260088201546101008201526009909101546001600160401b03808216610120840152600160401b9091041661014082015292915050565b5f5f6108e083610ba7565b6009810154909150600160401b90046001600160401b03161561090557505f92915050565b61090f8142610ab6565b816005015461091e9190611174565b9392505050565b61092d610a58565b5f61093783610a73565b80549091506001600160a01b0316331461096d576040516302dbedbd60e51b815260048101849052336024820152604401610209565b60028101545f90610987906001600160a01b031684610cf7565b905061099282610e32565b80826005015f8282546109a5919061119b565b9091555050600182015460058301546001600160a01b039091169085907f7ef2105a909bd7515c1a5dcd8099656ee4bf1c89c4e927933847b4d55cc706399084906109ef87610c88565b6040805193845260208401929092526001600160401b03169082015260600160405180910390a35050610a2e60015f5160206112145f395f51905f5255565b5050565b5f5f610a3d83610ba7565b90508060070154610a4e8242610ab6565b61091e9190611174565b610a60610e60565b60025f5160206112145f395f51905f5255565b5f610a7d82610ba7565b6009810154909150600160401b90046001600160401b0316156103d35760405163c2a0eef760e01b815260048101839052602401610209565b60098201545f90600160401b90046001600160401b0316151580610ae7575060098301546001600160401b03168211155b15610af75750600682015461035e565b5f83600601548460050154610b0c9190611174565b60098501549091505f90610b29906001600160401b031685611174565b9050846004015482610b3b91906111c6565b811115610b4f57505050600582015461035e565b6004850154610b5e90826111e5565b85600601546107a8919061119b565b610b7a8383836001610e91565b610ba257604051635274afe760e01b81526001600160a01b0384166004820152602401610209565b505050565b5f81815260016020526040902080546001600160a01b03166103d357604051630c94031d60e31b815260048101839052602401610209565b5f8160070154610bef8342610ab6565b610bf99190611174565b9050805f03610c0957505f61035e565b80826007015f828254610c1c919061119b565b909155505060018201546040518281526001600160a01b039091169084907fcf7d23a3cbe4e8b36ff82fd1b05b1b17373dc7804b4ebbd6e2356716ef2023729060200160405180910390a36001820154600283015461035e916001600160a01b03918216911683610b6d565b60098101545f90600160401b90046001600160401b031615610cbc575060090154600160401b90046001600160401b031690565b816004015482600601548360050154610cd59190611174565b610cdf91906111c6565b600983015461035e91906001600160401b031661119b565b5f815f03610d1857604051631f2a200560e01b815260040160405180910390fd5b6040516370a0823160e01b81523060048201525f906001600160a01b038516906370a0823190602401602060405180830381865afa158015610d5c573d5f5f3e3d5ffd5b505050506040513d601f19601f82011682018060405250810190610d8091906111fc565b9050610d976001600160a01b038516333086610ef3565b6040516370a0823160e01b815230600482015281906001600160a01b038616906370a0823190602401602060405180830381865afa158015610ddb573d5f5f3e3d5ffd5b505050506040513d601f19601f82011682018060405250810190610dff91906111fc565b610e099190611174565b9150815f03610e2b57604051631f2a200560e01b815260040160405180910390fd5b5092915050565b610e3c8142610ab6565b6006820155600901805467ffffffffffffffff1916426001600160401b0316179055565b5f5160206112145f395f51905f5254600203610e8f57604051633ee5aeb560e01b815260040160405180910390fd5b565b60405163a9059cbb60e01b5f8181526001600160a01b038616600452602485905291602083604481808b5af1925060015f51148316610ee7578383151615610edb573d5f823e3d81fd5b5f873b113d1516831692505b60405250949350505050565b610f01848484846001610f2f565b610f2957604051635274afe760e01b81526001600160a01b0385166004820152602401610209565b50505050565b6040516323b872dd60e01b5f8181526001600160a01b038781166004528616602452604485905291602083606481808c5af1925060015f51148316610f8b578383151615610f7f573d5f823e3d81fd5b5f883b113d1516831692505b604052505f60605295945050505050565b5f60208284031215610fac575f5ffd5b5035919050565b5f5f60208385031215610fc4575f5ffd5b82356001600160401b03811115610fd9575f5ffd5b8301601f81018513610fe9575f5ffd5b80356001600160401b03811115610ffe575f5ffd5b8560208260051b8401011115611012575f5ffd5b6020919091019590945092505050565b80356001600160a01b03811681146103d3575f5ffd5b5f5f5f5f5f60a0868803121561104c575f5ffd5b61105586611022565b945061106360208701611022565b94979496505050506040830135926060810135926080909101359150565b81516001600160a01b03168152610160810160208301516110ad60208401826001600160a01b03169052565b5060408301516110c860408401826001600160a01b03169052565b50606083015160608301526080830151608083015260a083015160a083015260c083015160c083015260e083015160e08301526101008301516101008301526101208301516111236101208401826001600160401b03169052565b50610140830151610e2b6101408401826001600160401b03169052565b5f5f60408385031215611151575f5ffd5b50508035926020909101359150565b634e487b7160e01b5f52601160045260245ffd5b8181038181111561035e5761035e611160565b634e487b7160e01b5f52603260045260245ffd5b8082018082111561035e5761035e611160565b5f600182016111bf576111bf611160565b5060010190565b5f826111e057634e487b7160e01b5f52601260045260245ffd5b500490565b808202811582820484141761035e5761035e611160565b5f6020828403121561120c575f5ffd5b505191905056fe9b779b17422d0df92223018b32b4d1fa46e071723d6817e2486d003becc55f00a2646970667358221220cd6ee7a3e5e93e0f6d3efd40a69404f56fb903b352a99d28b4b218172de8755b64736f6c63430008250033",
  deployedBytecode: "0x608060405234801561000f575f5ffd5b50600436106100a6575f3560e01c80637b6a0b611161006e5780637b6a0b6114610136578063894e9a0d1461014957806389d0e1191461016957806390445a6c14610171578063de643a7114610184578063f11988e014610197575f5ffd5b80630ad24528146100aa5780631bfce853146100bf5780632e1a7d4d146100e55780636fb936de146100f85780637594644b14610123575b5f5ffd5b6100bd6100b8366004610f9c565b6101aa565b005b6100d26100cd366004610f9c565b61034b565b6040519081526020015b60405180910390f35b6100d26100f3366004610f9c565b610364565b61010b610106366004610f9c565b6103d8565b6040516001600160401b0390911681526020016100dc565b6100d2610131366004610fb3565b6103ea565b6100d2610144366004611038565b6104c1565b61015c610157366004610f9c565b6107b1565b6040516100dc9190611081565b6100d25f5481565b6100d261017f366004610f9c565b6108d5565b6100bd610192366004611140565b610925565b6100d26101a5366004610f9c565b610a32565b6101b2610a58565b5f6101bc82610a73565b80549091506001600160a01b031633148015906101e6575060018101546001600160a01b03163314155b1561021257604051636fd4ff2b60e11b8152600481018390523360248201526044015b60405180910390fd5b5f61021d8242610ab6565b90505f8260070154826102309190611174565b90505f8284600501546102439190611174565b60068501849055600985018054600160401b6001600160401b0342169081026fffffffffffffffffffffffffffffffff19909216171790556007850184905560088501819055600185015460408051338152602081018690529081018390529192506001600160a01b03169086907fe8026c6f6010cfde92218b22906f17e7fb6092b0bd0411b68722203105d864c79060600160405180910390a360028401546001600160a01b0316821561030e57600185015461030e906001600160a01b03838116911685610b6d565b811561032d57845461032d906001600160a01b03838116911684610b6d565b505050505061034860015f5160206112145f395f51905f5255565b50565b5f61035e61035883610ba7565b42610ab6565b92915050565b5f61036d610a58565b5f61037783610ba7565b60018101549091506001600160a01b031633146103b0576040516304ef08e960e21b815260048101849052336024820152604401610209565b6103ba8382610bdf565b9150506103d360015f5160206112145f395f51905f5255565b919050565b5f61035e6103e583610ba7565b610c88565b5f6103f3610a58565b5f5b828110156104aa575f61041f85858481811061041357610413611187565b90506020020135610ba7565b60018101549091506001600160a01b031633146104735784848381811061044857610448611187565b6040516304ef08e960e21b815260209091029290920135600483015250336024820152604401610209565b61049585858481811061048857610488611187565b9050602002013582610bdf565b61049f908461119b565b9250506001016103f5565b5061035e60015f5160206112145f395f51905f5255565b5f6104ca610a58565b6001600160a01b0386166105215760405163d63e3e8760e01b815260206004820152601d60248201527f726563697069656e7420697320746865207a65726f20616464726573730000006044820152606401610209565b336001600160a01b0387160361058b5760405163d63e3e8760e01b815260206004820152602860248201527f706179657220616e6420726563697069656e7420617265207468652073616d65604482015267206164647265737360c01b6064820152608401610209565b6001600160a01b0385166105e25760405163d63e3e8760e01b815260206004820152601960248201527f746f6b656e20697320746865207a65726f2061646472657373000000000000006044820152606401610209565b815f036106215760405163d63e3e8760e01b815260206004820152600c60248201526b72617465206973207a65726f60a01b6044820152606401610209565b5f61062c8685610cf7565b90508281101561068b5760405163d63e3e8760e01b815260206004820152602360248201527f6465706f73697420646f6573206e6f742070617920666f72206f6e65207365636044820152621bdb9960ea1b6064820152608401610209565b5f5f8154610698906111ae565b91829055505f8181526001602081905260409091208054336001600160a01b031991821681178355928201805482166001600160a01b038d8116918217909255600284018054909316918c169190911790915560038201899055600482018790556005820185905560098201805467ffffffffffffffff1916426001600160401b03161790559294509190847ff02b286abed43ab091de5bc78edfbcd247ca541f1041747b1f52fa608ad7199d8a8a878a61075289610c88565b604080516001600160a01b03909616865260208601949094529284019190915260608301526001600160401b0316608082015260a00160405180910390a450506107a860015f5160206112145f395f51905f5255565b95945050505050565b6108306040518061016001604052805f6001600160a01b031681526020015f6001600160a01b031681526020015f6001600160a01b031681526020015f81526020015f81526020015f81526020015f81526020015f81526020015f81526020015f6001600160401b031681526020015f6001600160401b031681525090565b61083982610ba7565b604080516101608101825282546001600160a01b039081168252600184015481166020830152600284015416918101919091526003820154606082015260048201546080820152600582015460a0820152600682015460c0820152600782015460e082015260088201546101008201526009909101546001600160401b03808216610120840152600160401b9091041661014082015292915050565b5f5f6108e083610ba7565b6009810154909150600160401b90046001600160401b03161561090557505f92915050565b61090f8142610ab6565b816005015461091e9190611174565b9392505050565b61092d610a58565b5f61093783610a73565b80549091506001600160a01b0316331461096d576040516302dbedbd60e51b815260048101849052336024820152604401610209565b60028101545f90610987906001600160a01b031684610cf7565b905061099282610e32565b80826005015f8282546109a5919061119b565b9091555050600182015460058301546001600160a01b039091169085907f7ef2105a909bd7515c1a5dcd8099656ee4bf1c89c4e927933847b4d55cc706399084906109ef87610c88565b6040805193845260208401929092526001600160401b03169082015260600160405180910390a35050610a2e60015f5160206112145f395f51905f5255565b5050565b5f5f610a3d83610ba7565b90508060070154610a4e8242610ab6565b61091e9190611174565b610a60610e60565b60025f5160206112145f395f51905f5255565b5f610a7d82610ba7565b6009810154909150600160401b90046001600160401b0316156103d35760405163c2a0eef760e01b815260048101839052602401610209565b60098201545f90600160401b90046001600160401b0316151580610ae7575060098301546001600160401b03168211155b15610af75750600682015461035e565b5f83600601548460050154610b0c9190611174565b60098501549091505f90610b29906001600160401b031685611174565b9050846004015482610b3b91906111c6565b811115610b4f57505050600582015461035e565b6004850154610b5e90826111e5565b85600601546107a8919061119b565b610b7a8383836001610e91565b610ba257604051635274afe760e01b81526001600160a01b0384166004820152602401610209565b505050565b5f81815260016020526040902080546001600160a01b03166103d357604051630c94031d60e31b815260048101839052602401610209565b5f8160070154610bef8342610ab6565b610bf99190611174565b9050805f03610c0957505f61035e565b80826007015f828254610c1c919061119b565b909155505060018201546040518281526001600160a01b039091169084907fcf7d23a3cbe4e8b36ff82fd1b05b1b17373dc7804b4ebbd6e2356716ef2023729060200160405180910390a36001820154600283015461035e916001600160a01b03918216911683610b6d565b60098101545f90600160401b90046001600160401b031615610cbc575060090154600160401b90046001600160401b031690565b816004015482600601548360050154610cd59190611174565b610cdf91906111c6565b600983015461035e91906001600160401b031661119b565b5f815f03610d1857604051631f2a200560e01b815260040160405180910390fd5b6040516370a0823160e01b81523060048201525f906001600160a01b038516906370a0823190602401602060405180830381865afa158015610d5c573d5f5f3e3d5ffd5b505050506040513d601f19601f82011682018060405250810190610d8091906111fc565b9050610d976001600160a01b038516333086610ef3565b6040516370a0823160e01b815230600482015281906001600160a01b038616906370a0823190602401602060405180830381865afa158015610ddb573d5f5f3e3d5ffd5b505050506040513d601f19601f82011682018060405250810190610dff91906111fc565b610e099190611174565b9150815f03610e2b57604051631f2a200560e01b815260040160405180910390fd5b5092915050565b610e3c8142610ab6565b6006820155600901805467ffffffffffffffff1916426001600160401b0316179055565b5f5160206112145f395f51905f5254600203610e8f57604051633ee5aeb560e01b815260040160405180910390fd5b565b60405163a9059cbb60e01b5f8181526001600160a01b038616600452602485905291602083604481808b5af1925060015f51148316610ee7578383151615610edb573d5f823e3d81fd5b5f873b113d1516831692505b60405250949350505050565b610f01848484846001610f2f565b610f2957604051635274afe760e01b81526001600160a01b0385166004820152602401610209565b50505050565b6040516323b872dd60e01b5f8181526001600160a01b038781166004528616602452604485905291602083606481808c5af1925060015f51148316610f8b578383151615610f7f573d5f823e3d81fd5b5f883b113d1516831692505b604052505f60605295945050505050565b5f60208284031215610fac575f5ffd5b5035919050565b5f5f60208385031215610fc4575f5ffd5b82356001600160401b03811115610fd9575f5ffd5b8301601f81018513610fe9575f5ffd5b80356001600160401b03811115610ffe575f5ffd5b8560208260051b8401011115611012575f5ffd5b6020919091019590945092505050565b80356001600160a01b03811681146103d3575f5ffd5b5f5f5f5f5f60a0868803121561104c575f5ffd5b61105586611022565b945061106360208701611022565b94979496505050506040830135926060810135926080909101359150565b81516001600160a01b03168152610160810160208301516110ad60208401826001600160a01b03169052565b5060408301516110c860408401826001600160a01b03169052565b50606083015160608301526080830151608083015260a083015160a083015260c083015160c083015260e083015160e08301526101008301516101008301526101208301516111236101208401826001600160401b03169052565b50610140830151610e2b6101408401826001600160401b03169052565b5f5f60408385031215611151575f5ffd5b50508035926020909101359150565b634e487b7160e01b5f52601160045260245ffd5b8181038181111561035e5761035e611160565b634e487b7160e01b5f52603260045260245ffd5b8082018082111561035e5761035e611160565b5f600182016111bf576111bf611160565b5060010190565b5f826111e057634e487b7160e01b5f52601260045260245ffd5b500490565b808202811582820484141761035e5761035e611160565b5f6020828403121561120c575f5ffd5b505191905056fe9b779b17422d0df92223018b32b4d1fa46e071723d6817e2486d003becc55f00a2646970667358221220cd6ee7a3e5e93e0f6d3efd40a69404f56fb903b352a99d28b4b218172de8755b64736f6c63430008250033",
}

/** TestToken: ABI, creation code and deployed code. */
export const TEST_TOKEN: ContractArtifact = {
  contractName: "TestToken",
  abi: [
    {
      "inputs": [
        {
          "internalType": "string",
          "name": "name_",
          "type": "string"
        },
        {
          "internalType": "string",
          "name": "symbol_",
          "type": "string"
        }
      ],
      "stateMutability": "nonpayable",
      "type": "constructor"
    },
    {
      "inputs": [
        {
          "internalType": "address",
          "name": "spender",
          "type": "address"
        },
        {
          "internalType": "uint256",
          "name": "allowance",
          "type": "uint256"
        },
        {
          "internalType": "uint256",
          "name": "needed",
          "type": "uint256"
        }
      ],
      "name": "ERC20InsufficientAllowance",
      "type": "error"
    },
    {
      "inputs": [
        {
          "internalType": "address",
          "name": "sender",
          "type": "address"
        },
        {
          "internalType": "uint256",
          "name": "balance",
          "type": "uint256"
        },
        {
          "internalType": "uint256",
          "name": "needed",
          "type": "uint256"
        }
      ],
      "name": "ERC20InsufficientBalance",
      "type": "error"
    },
    {
      "inputs": [
        {
          "internalType": "address",
          "name": "approver",
          "type": "address"
        }
      ],
      "name": "ERC20InvalidApprover",
      "type": "error"
    },
    {
      "inputs": [
        {
          "internalType": "address",
          "name": "receiver",
          "type": "address"
        }
      ],
      "name": "ERC20InvalidReceiver",
      "type": "error"
    },
    {
      "inputs": [
        {
          "internalType": "address",
          "name": "sender",
          "type": "address"
        }
      ],
      "name": "ERC20InvalidSender",
      "type": "error"
    },
    {
      "inputs": [
        {
          "internalType": "address",
          "name": "spender",
          "type": "address"
        }
      ],
      "name": "ERC20InvalidSpender",
      "type": "error"
    },
    {
      "inputs": [
        {
          "internalType": "address",
          "name": "owner",
          "type": "address"
        }
      ],
      "name": "OwnableInvalidOwner",
      "type": "error"
    },
    {
      "inputs": [
        {
          "internalType": "address",
          "name": "account",
          "type": "address"
        }
      ],
      "name": "OwnableUnauthorizedAccount",
      "type": "error"
    },
    {
      "anonymous": false,
      "inputs": [
        {
          "indexed": true,
          "internalType": "address",
          "name": "owner",
          "type": "address"
        },
        {
          "indexed": true,
          "internalType": "address",
          "name": "spender",
          "type": "address"
        },
        {
          "indexed": false,
          "internalType": "uint256",
          "name": "value",
          "type": "uint256"
        }
      ],
      "name": "Approval",
      "type": "event"
    },
    {
      "anonymous": false,
      "inputs": [
        {
          "indexed": true,
          "internalType": "address",
          "name": "previousOwner",
          "type": "address"
        },
        {
          "indexed": true,
          "internalType": "address",
          "name": "newOwner",
          "type": "address"
        }
      ],
      "name": "OwnershipTransferred",
      "type": "event"
    },
    {
      "anonymous": false,
      "inputs": [
        {
          "indexed": true,
          "internalType": "address",
          "name": "from",
          "type": "address"
        },
        {
          "indexed": true,
          "internalType": "address",
          "name": "to",
          "type": "address"
        },
        {
          "indexed": false,
          "internalType": "uint256",
          "name": "value",
          "type": "uint256"
        }
      ],
      "name": "Transfer",
      "type": "event"
    },
    {
      "inputs": [
        {
          "internalType": "address",
          "name": "owner",
          "type": "address"
        },
        {
          "internalType": "address",
          "name": "spender",
          "type": "address"
        }
      ],
      "name": "allowance",
      "outputs": [
        {
          "internalType": "uint256",
          "name": "",
          "type": "uint256"
        }
      ],
      "stateMutability": "view",
      "type": "function"
    },
    {
      "inputs": [
        {
          "internalType": "address",
          "name": "spender",
          "type": "address"
        },
        {
          "internalType": "uint256",
          "name": "value",
          "type": "uint256"
        }
      ],
      "name": "approve",
      "outputs": [
        {
          "internalType": "bool",
          "name": "",
          "type": "bool"
        }
      ],
      "stateMutability": "nonpayable",
      "type": "function"
    },
    {
      "inputs": [
        {
          "internalType": "address",
          "name": "account",
          "type": "address"
        }
      ],
      "name": "balanceOf",
      "outputs": [
        {
          "internalType": "uint256",
          "name": "",
          "type": "uint256"
        }
      ],
      "stateMutability": "view",
      "type": "function"
    },
    {
      "inputs": [],
      "name": "decimals",
      "outputs": [
        {
          "internalType": "uint8",
          "name": "",
          "type": "uint8"
        }
      ],
      "stateMutability": "view",
      "type": "function"
    },
    {
      "inputs": [
        {
          "internalType": "address",
          "name": "to",
          "type": "address"
        },
        {
          "internalType": "uint256",
          "name": "amount",
          "type": "uint256"
        }
      ],
      "name": "mint",
      "outputs": [],
      "stateMutability": "nonpayable",
      "type": "function"
    },
    {
      "inputs": [],
      "name": "name",
      "outputs": [
        {
          "internalType": "string",
          "name": "",
          "type": "string"
        }
      ],
      "stateMutability": "view",
      "type": "function"
    },
    {
      "inputs": [],
      "name": "owner",
      "outputs": [
        {
          "internalType": "address",
          "name": "",
          "type": "address"
        }
      ],
      "stateMutability": "view",
      "type": "function"
    },
    {
      "inputs": [],
      "name": "renounceOwnership",
      "outputs": [],
      "stateMutability": "nonpayable",
      "type": "function"
    },
    {
      "inputs": [],
      "name": "symbol",
      "outputs": [
        {
          "internalType": "string",
          "name": "",
          "type": "string"
        }
      ],
      "stateMutability": "view",
      "type": "function"
    },
    {
      "inputs": [],
      "name": "totalSupply",
      "outputs": [
        {
          "internalType": "uint256",
          "name": "",
          "type": "uint256"
        }
      ],
      "stateMutability": "view",
      "type": "function"
    },
    {
      "inputs": [
        {
          "internalType": "address",
          "name": "to",
          "type": "address"
        },
        {
          "internalType": "uint256",
          "name": "value",
          "type": "uint256"
        }
      ],
      "name": "transfer",
      "outputs": [
        {
          "internalType": "bool",
          "name": "",
          "type": "bool"
        }
      ],
      "stateMutability": "nonpayable",
      "type": "function"
    },
    {
      "inputs": [
        {
          "internalType": "address",
          "name": "from",
          "type": "address"
        },
        {
          "internalType": "address",
          "name": "to",
          "type": "address"
        },
        {
          "internalType": "uint256",
          "name": "value",
          "type": "uint256"
        }
      ],
      "name": "transferFrom",
      "outputs": [
        {
          "internalType": "bool",
          "name": "",
          "type": "bool"
        }
      ],
      "stateMutability": "nonpayable",
      "type": "function"
    },
    {
      "inputs": [
        {
          "internalType": "address",
          "name": "newOwner",
          "type": "address"
        }
      ],
      "name": "transferOwnership",
      "outputs": [],
      "stateMutability": "nonpayable",
      "type": "function"
    }
  ],
  bytecode: "0x608060405234801561000f575f5ffd5b50604051610be5380380610be583398101604081905261002e9161018e565b338282600361003d8382610282565b50600461004a8282610282565b5050506001600160a01b03811661007a57604051631e4fbdf760e01b81525f600482015260240160405180910390fd5b6100838161008b565b505050610340565b600580546001600160a01b038381166001600160a01b0319831681179093556040519116919082907f8be0079c531659141344cd1fd0a4f28419497f9722a3daafe3b4186f6b6457e0905f90a35050565b634e487b7160e01b5f52604160045260245ffd5b5f82601f8301126100ff575f5ffd5b81516001600160401b03811115610118576101186100dc565b604051601f8201601f19908116603f011681016001600160401b0381118282101715610146576101466100dc565b60405281815283820160200185101561015d575f5ffd5b5f5b8281101561017b5760208186018101518383018201520161015f565b505f918101602001919091529392505050565b5f5f6040838503121561019f575f5ffd5b82516001600160401b038111156101b4575f5ffd5b6101c0858286016100f0565b602085015190935090506001600160401b038111156101dd575f5ffd5b6101e9858286016100f0565b9150509250929050565b600181811c9082168061020757607f821691505b60208210810361022557634e487b7160e01b5f52602260045260245ffd5b50919050565b601f82111561027d578282111561027d57805f5260205f20601f840160051c602085101561025657505f5b90810190601f840160051c035f5b81811015610279575f83820155600101610264565b5050505b505050565b81516001600160401b0381111561029b5761029b6100dc565b6102af816102a984546101f3565b8461022b565b6020601f8211600181146102e1575f83156102ca5750848201515b5f19600385901b1c1916600184901b178455610339565b5f84815260208120601f198516915b8281101561031057878501518255602094850194600190920191016102f0565b508482101561032d57868401515f19600387901b60f8161c191681555b505060018360011b0184555b5050505050565b6108988061034d5f395ff3fe608060405234801561000f575f5ffd5b50600436106100cb575f3560e01c806370a082311161008857806395d89b411161006357806395d89b41146101a4578063a9059cbb146101ac578063dd62ed3e146101bf578063f2fde38b146101f7575f5ffd5b806370a0823114610159578063715018a6146101815780638da5cb5b14610189575f5ffd5b806306fdde03146100cf578063095ea7b3146100ed57806318160ddd1461011057806323b872dd14610122578063313ce5671461013557806340c10f1914610144575b5f5ffd5b6100d761020a565b6040516100e491906106f2565b60405180910390f35b6101006100fb366004610758565b61029a565b60405190151581526020016100e4565b6002545b6040519081526020016100e4565b610100610130366004610780565b6102b3565b604051601281526020016100e4565b610157610152366004610758565b6102d6565b005b6101146101673660046107ba565b6001600160a01b03165f9081526020819052604090205490565b6101576102ec565b6005546040516001600160a01b0390911681526020016100e4565b6100d76102ff565b6101006101ba366004610758565b61030e565b6101146101cd3660046107da565b6001600160a01b039182165f90815260016020908152604080832093909416825291909152205490565b6101576102053660046107ba565b61031b565b6060600380546102199061080b565b80601f01602080910402602001604051908101604052809291908181526020018280546102459061080b565b80156102905780601f1061026757610100808354040283529160200191610290565b820191905f5260205f20905b81548152906001019060200180831161027357829003601f168201915b5050505050905090565b5f336102a781858561035d565b60019150505b92915050565b5f336102c085828561036f565b6102cb8585856103eb565b506001949350505050565b6102de610448565b6102e88282610475565b5050565b6102f4610448565b6102fd5f6104a9565b565b6060600480546102199061080b565b5f336102a78185856103eb565b610323610448565b6001600160a01b03811661035157604051631e4fbdf760e01b81525f60048201526024015b60405180910390fd5b61035a816104a9565b50565b61036a83838360016104fa565b505050565b6001600160a01b038381165f908152600160209081526040808320938616835292905220545f198110156103e557818110156103d757604051637dc7a0d960e11b81526001600160a01b03841660048201526024810182905260448101839052606401610348565b6103e584848484035f6104fa565b50505050565b6001600160a01b03831661041457604051634b637e8f60e11b81525f6004820152602401610348565b6001600160a01b03821661043d5760405163ec442f0560e01b81525f6004820152602401610348565b61036a8383836105cc565b6005546001600160a01b031633146102fd5760405163118cdaa760e01b8152336004820152602401610348565b6001600160a01b03821661049e5760405163ec442f0560e01b81525f6004820152602401610348565b6102e85f83836105cc565b600580546001600160a01b038381166001600160a01b0319831681179093556040519116919082907f8be0079c531659141344cd1fd0a4f28419497f9722a3daafe3b4186f6b6457e0905f90a35050565b6001600160a01b0384166105235760405163e602df0560e01b81525f6004820152602401610348565b6001600160a01b03831661054c57604051634a1406b160e11b81525f6004820152602401610348565b6001600160a01b038085165f90815260016020908152604080832093871683529290522082905580156103e557826001600160a01b0316846001600160a01b03167f8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925846040516105be91815260200190565b60405180910390a350505050565b6001600160a01b0383166105f6578060025f8282546105eb9190610843565b909155506106669050565b6001600160a01b0383165f90815260208190526040902054818110156106485760405163391434e360e21b81526001600160a01b03851660048201526024810182905260448101839052606401610348565b6001600160a01b0384165f9081526020819052604090209082900390555b6001600160a01b038216610682576002805482900390556106a0565b6001600160a01b0382165f9081526020819052604090208054820190555b816001600160a01b0316836001600160a01b03167fddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef836040516106e591815260200190565b60405180910390a3505050565b602081525f82518060208401525f5b8181101561071e5760208186018101516040868401015201610701565b505f604082850101526040601f19601f83011684010191505092915050565b80356001600160a01b0381168114610753575f5ffd5b919050565b5f5f60408385031215610769575f5ffd5b6107728361073d565b946020939093013593505050565b5f5f5f60608486031215610792575f5ffd5b61079b8461073d565b92506107a96020850161073d565b929592945050506040919091013590565b5f602082840312156107ca575f5ffd5b6107d38261073d565b9392505050565b5f5f604083850312156107eb575f5ffd5b6107f48361073d565b91506108026020840161073d565b90509250929050565b600181811c9082168061081f57607f821691505b60208210810361083d57634e487b7160e01b5f52602260045260245ffd5b50919050565b808201808211156102ad57634e487b7160e01b5f52601160045260245ffdfea2646970667358221220990adfcaf67128d861352e10fc503d9388437134c848e5b02eaf9aadbc43ebab64736f6c63430008250033",
  deployedBytecode: "0x608060405234801561000f575f5ffd5b50600436106100cb575f3560e01c806370a082311161008857806395d89b411161006357806395d89b41146101a4578063a9059cbb146101ac578063dd62ed3e146101bf578063f2fde38b146101f7575f5ffd5b806370a0823114610159578063715018a6146101815780638da5cb5b14610189575f5ffd5b806306fdde03146100cf578063095ea7b3146100ed57806318160ddd1461011057806323b872dd14610122578063313ce5671461013557806340c10f1914610144575b5f5ffd5b6100d761020a565b6040516100e491906106f2565b60405180910390f35b6101006100fb366004610758565b61029a565b60405190151581526020016100e4565b6002545b6040519081526020016100e4565b610100610130366004610780565b6102b3565b604051601281526020016100e4565b610157610152366004610758565b6102d6565b005b6101146101673660046107ba565b6001600160a01b03165f9081526020819052604090205490565b6101576102ec565b6005546040516001600160a01b0390911681526020016100e4565b6100d76102ff565b6101006101ba366004610758565b61030e565b6101146101cd3660046107da565b6001600160a01b039182165f90815260016020908152604080832093909416825291909152205490565b6101576102053660046107ba565b61031b565b6060600380546102199061080b565b80601f01602080910402602001604051908101604052809291908181526020018280546102459061080b565b80156102905780601f1061026757610100808354040283529160200191610290565b820191905f5260205f20905b81548152906001019060200180831161027357829003601f168201915b5050505050905090565b5f336102a781858561035d565b60019150505b92915050565b5f336102c085828561036f565b6102cb8585856103eb565b506001949350505050565b6102de610448565b6102e88282610475565b5050565b6102f4610448565b6102fd5f6104a9565b565b6060600480546102199061080b565b5f336102a78185856103eb565b610323610448565b6001600160a01b03811661035157604051631e4fbdf760e01b81525f60048201526024015b60405180910390fd5b61035a816104a9565b50565b61036a83838360016104fa565b505050565b6001600160a01b038381165f908152600160209081526040808320938616835292905220545f198110156103e557818110156103d757604051637dc7a0d960e11b81526001600160a01b03841660048201526024810182905260448101839052606401610348565b6103e584848484035f6104fa565b50505050565b6001600160a01b03831661041457604051634b637e8f60e11b81525f6004820152602401610348565b6001600160a01b03821661043d5760405163ec442f0560e01b81525f6004820152602401610348565b61036a8383836105cc565b6005546001600160a01b031633146102fd5760405163118cdaa760e01b8152336004820152602401610348565b6001600160a01b03821661049e5760405163ec442f0560e01b81525f6004820152602401610348565b6102e85f83836105cc565b600580546001600160a01b038381166001600160a01b0319831681179093556040519116919082907f8be0079c531659141344cd1fd0a4f28419497f9722a3daafe3b4186f6b6457e0905f90a35050565b6001600160a01b0384166105235760405163e602df0560e01b81525f6004820152602401610348565b6001600160a01b03831661054c57604051634a1406b160e11b81525f6004820152602401610348565b6001600160a01b038085165f90815260016020908152604080832093871683529290522082905580156103e557826001600160a01b0316846001600160a01b03167f8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925846040516105be91815260200190565b60405180910390a350505050565b6001600160a01b0383166105f6578060025f8282546105eb9190610843565b909155506106669050565b6001600160a01b0383165f90815260208190526040902054818110156106485760405163391434e360e21b81526001600160a01b03851660048201526024810182905260448101839052606401610348565b6001600160a01b0384165f9081526020819052604090209082900390555b6001600160a01b038216610682576002805482900390556106a0565b6001600160a01b0382165f9081526020819052604090208054820190555b816001600160a01b0316836001600160a01b03167fddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef836040516106e591815260200190565b60405180910390a3505050565b602081525f82518060208401525f5b8181101561071e5760208186018101516040868401015201610701565b505f604082850101526040601f19601f83011684010191505092915050565b80356001600160a01b0381168114610753575f5ffd5b919050565b5f5f60408385031215610769575f5ffd5b6107728361073d565b946020939093013593505050565b5f5f5f60608486031215610792575f5ffd5b61079b8461073d565b92506107a96020850161073d565b929592945050506040919091013590565b5f602082840312156107ca575f5ffd5b6107d38261073d565b9392505050565b5f5f604083850312156107eb575f5ffd5b6107f48361073d565b91506108026020840161073d565b90509250929050565b600181811c9082168061081f57607f821691505b60208210810361083d57634e487b7160e01b5f52602260045260245ffd5b50919050565b808201808211156102ad57634e487b7160e01b5f52601160045260245ffdfea2646970667358221220990adfcaf67128d861352e10fc503d9388437134c848e5b02eaf9aadbc43ebab64736f6c63430008250033",
}
